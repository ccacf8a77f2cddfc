//! `#[coro::main]` and `#[coro::test]`: a synchronous-looking entry point that runs as a coroutine on a fresh
//! runtime.
//!
//! ```text
//! #[coro::main(workers = 4)]
//! fn main() -> io::Result<()> { body }
//! ```
//! becomes
//! ```text
//! fn main() -> io::Result<()> {
//!     ::coro::Runtime::builder().workers(4).build()  // workers: CORO_WORKERS or the CPU count if not given
//!         .unwrap_or_else(|err| panic!(..))
//!         .block_on(co::<io::Result<()>, _>(async move { body, with its suspension points inserted }))
//! }
//! ```
//! `#[coro::test]` does the same under `#[test]`, so each test gets a runtime of its own.

use crate::coroutine::async_body;
use crate::item::CoroutineFn;
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Error, LitInt, Path, ReturnType, Signature, Type, parse_quote};

/// Which entry point is expanded.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    fn attribute(self) -> &'static str {
        match self {
            Entry::Main => "#[coro::main]",
            Entry::Test => "#[coro::test]",
        }
    }
}

struct EntryArgs {
    krate: Path,
    workers: Option<LitInt>,
}

impl EntryArgs {
    fn parse(entry: Entry, tokens: TokenStream) -> syn::Result<EntryArgs> {
        let mut args = EntryArgs { krate: parse_quote!(::coro), workers: None };
        syn::meta::parser(|meta| {
            if meta.path.is_ident("workers") {
                let workers: LitInt = meta.value()?.parse()?;
                if workers.base10_parse::<usize>()? == 0 {
                    return Err(Error::new(workers.span(), "`workers` must be at least 1"));
                }
                args.workers = Some(workers);
                Ok(())
            } else if meta.path.is_ident("crate") {
                args.krate = meta.value()?.parse()?;
                Ok(())
            } else {
                Err(meta.error(format_args!(
                    "unknown argument: `{}` takes `workers = N` and `crate = path::to::coro`",
                    entry.attribute()
                )))
            }
        })
        .parse2(tokens)?;
        Ok(args)
    }
}

pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let stub = stub(&item);
    expand_checked(entry, args, item).unwrap_or_else(|error| {
        // Keep a fn of that name, so a broken `main` gives this error alone and not also "`main` not found".
        let error = error.into_compile_error();
        quote!(#error #stub)
    })
}

/// `fn name() {}` for the annotated fn's name, when it has one.
fn stub(item: &TokenStream) -> Option<TokenStream> {
    let sig: Signature = syn::parse2::<CoroutineFn>(item.clone()).ok()?.sig;
    let name = sig.ident;
    Some(quote!(fn #name() {}))
}

fn expand_checked(entry: Entry, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let EntryArgs { krate, workers } = EntryArgs::parse(entry, args)?;
    let CoroutineFn { attrs, vis, sig, body } = CoroutineFn::parse(item, entry.attribute())?;
    let attribute = entry.attribute();
    let Some(body) = body else {
        return Err(Error::new(sig.span(), format_args!("{attribute} needs a fn with a body")));
    };
    if let Some(input) = sig.inputs.first() {
        return Err(Error::new(input.span(), format_args!("{attribute} fns take no arguments")));
    }
    if !sig.generics.params.is_empty() {
        return Err(Error::new(sig.generics.span(), format_args!("{attribute} fns cannot be generic")));
    }
    if entry == Entry::Test {
        if let Some(test) = attrs.iter().find(|attr| attr.path().is_ident("test")) {
            return Err(Error::new(
                test.span(),
                "remove `#[test]`: `#[coro::test]` already makes this a test",
            ));
        }
    }
    let returns: Type = match &sig.output {
        ReturnType::Default => parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    let coroutine = async_body(&krate, Some(&returns), &[], body);
    let workers = workers.map(|n| quote!(.workers(#n)));
    let test = (entry == Entry::Test).then(|| quote!(#[::core::prelude::v1::test]));
    Ok(quote! {
        #test
        #(#attrs)*
        #vis #sig {
            #krate::Runtime::builder()
                #workers
                .build()
                .unwrap_or_else(|err| ::core::panic!("coro: cannot start the runtime: {err}"))
                .block_on(#coroutine)
        }
    })
}
