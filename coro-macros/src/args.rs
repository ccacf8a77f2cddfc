//! The arguments of `#[coro::coroutine(...)]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{Path, parse_quote};

/// What the attribute was given. Every argument is optional.
pub(crate) struct Args {
    /// Where the `coro` crate is, for code that reaches it under another name (`crate = my::coro`).
    pub(crate) krate: Path,
}

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let mut args = Args { krate: parse_quote!(::coro) };
        syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                let value = meta.value()?;
                args.krate = value.parse().map_err(|_| {
                    value
                        .error("`crate` takes the path of the coro crate, without quotes: `crate = my::coro`")
                })?;
                Ok(())
            } else {
                let name = quote::ToTokens::to_token_stream(&meta.path).to_string().replace(' ', "");
                Err(meta.error(format_args!(
                    "unknown argument `{name}`: `#[coro::coroutine]` takes one optional argument, \
                     `crate = path::to::coro` (for a re-exported coro); remove `{name}`"
                )))
            }
        })
        .parse2(tokens)?;
        Ok(args)
    }
}
