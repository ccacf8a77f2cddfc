//! `join!` and `try_join!`: run several operations concurrently on the current task.
//!
//! ```text
//! join!(a(), b())
//! ```
//! becomes
//! ```text
//! {
//!     let mut __coro_op0 = pin!(a());                     // see `branches`
//!     let mut __coro_op1 = pin!(b());
//!     let mut __coro_slot0 = None;
//!     let mut __coro_slot1 = None;
//!     match JoinAll::<_, 2>::new(|i, cx| match i {
//!         0 => poll_join(__coro_op0.as_mut(), &mut __coro_slot0, cx),
//!         _ => poll_join(__coro_op1.as_mut(), &mut __coro_slot1, cx),
//!     })
//!     .await
//!     {
//!         Ok(()) => (output(__coro_slot0), output(__coro_slot1)),
//!     }
//! }                                                       // the operations are dropped here
//! ```
//! `try_join!` polls with `poll_try_join`, matches `Ok(())` to `Ok((outputs))` and passes `Err(e)` on: the
//! first error ends the block, which drops the other operations.

use crate::branches::{hidden, pin_operations, poll_by_index, poll_call, private};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Token};

/// `fallible`: `try_join!`, whose operations return `Result`s.
pub(crate) fn expand(fallible: bool, input: TokenStream) -> syn::Result<TokenStream> {
    let name = if fallible { "try_join" } else { "join" };
    let operations = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(input)?;
    if operations.is_empty() {
        let usage = format!("`{name}!` needs at least one operation: `{name}!(a(), b())`");
        return Err(Error::new(Span::call_site(), usage));
    }
    let (pinned, pinned_names) = pin_operations(&operations);
    let slots: Vec<_> = (0..operations.len()).map(|index| hidden("slot", index)).collect();
    let poll_one = if fallible { "poll_try_join" } else { "poll_join" };
    let polls: Vec<TokenStream> = operations
        .iter()
        .zip(pinned_names.iter().zip(&slots))
        .map(|(operation, (pinned, slot))| poll_call(poll_one, operation, pinned, quote!(&mut #slot,)))
        .collect();
    let poll = poll_by_index(&polls);
    let private = private(Span::call_site());
    let count = operations.len();
    let outputs = quote!((#(#private::output(#slots),)*));
    let arms = if fallible {
        let error = Ident::new("__coro_error", Span::mixed_site());
        quote! {
            ::core::result::Result::Ok(()) => ::core::result::Result::Ok(#outputs),
            ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
        }
    } else {
        quote!(::core::result::Result::Ok(()) => #outputs,)
    };
    Ok(quote! {
        {
            #pinned
            #(let mut #slots = ::core::option::Option::None;)*
            match #private::JoinAll::<_, #count>::new(#poll).await {
                #arms
            }
        }
    })
}
