//! `select!`: wait for the first of several operations, then run that branch's body.
//!
//! ```text
//! select! {
//!     msg = rx.recv() => body0,
//!     _ = coro::sleep(d) => body1,
//!     default => body2,
//! }
//! ```
//! becomes
//! ```text
//! {
//!     enum __CoroSelected<T0, T1> { B0(T0), B1(T1), Default }
//!     match {
//!         let mut __coro_op0 = pin!(rx.recv());               // see `branches`
//!         let mut __coro_op1 = pin!(coro::sleep(d));
//!         Select::<_, 2>::with_default(|i, cx| match i {
//!             0 => poll(__coro_op0.as_mut(), cx).map(__CoroSelected::B0),
//!             1 => poll(__coro_op1.as_mut(), cx).map(__CoroSelected::B1),
//!             _ => Poll::Ready(__CoroSelected::Default),
//!         })
//!         .await
//!     } {                                                 // every operation is dropped before a body runs
//!         __CoroSelected::B0(__coro_value) => { let msg = __coro_value; body0 }
//!         __CoroSelected::B1(__coro_value) => { let _ = __coro_value; body1 }
//!         __CoroSelected::Default => { body2 }
//!     }
//! }
//! ```
//! A branch with a condition, `msg = rx.recv(), if open => body`, pins
//! `if open { Some(rx.recv()) } else { None }` instead: its operation is evaluated only when the condition
//! holds, and a disabled branch is never ready (Go's nil channel in a `select`). When every branch is
//! disabled and there is no `default`, nothing could ever complete, and the `select!` panics saying so.
//!
//! The bodies are arms of a `match` in the user's code, so `?`, `return`, `break` and `continue` in them act
//! on the enclosing fn or loop. The pattern is bound by a `let`, so a refutable one gets rustc's own error on
//! the user's pattern.
//!
//! [`Select`] is also the parser `#[coro::coroutine]` uses to rewrite the bodies of a `select!` it contains,
//! and its [`ToTokens`] re-emits the macro's input.

use crate::branches::{hidden, pin_operations, poll_by_index, poll_call, private};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Error, Expr, Pat, Token, parse_quote};

const USAGE: &str = "a `select!` branch is `pattern = operation => body`, e.g. `msg = rx.recv() => { .. }`";

/// The input of `select!`.
pub(crate) struct Select {
    pub(crate) branches: Vec<Branch>,
    pub(crate) default: Option<DefaultBranch>,
}

/// `pattern = operation => body`, or `pattern = operation, if condition => body`.
pub(crate) struct Branch {
    pat: Pat,
    eq: Token![=],
    pub(crate) operation: Expr,
    pub(crate) guard: Option<Guard>,
    arrow: Token![=>],
    pub(crate) body: Expr,
}

/// `, if condition`: the branch takes part only when `condition` holds.
pub(crate) struct Guard {
    comma: Token![,],
    if_token: Token![if],
    pub(crate) condition: Expr,
}

/// `default => body`.
pub(crate) struct DefaultBranch {
    keyword: Ident,
    arrow: Token![=>],
    pub(crate) body: Expr,
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let Select { branches, default } = syn::parse2(input)?;
    if branches.is_empty() {
        return Err(Error::new(
            Span::call_site(),
            format!("`select!` needs at least one branch besides `default`: {USAGE}"),
        ));
    }
    let selected = Ident::new("__CoroSelected", Span::mixed_site());
    let variants: Vec<Ident> = (0..branches.len()).map(|index| format_ident!("B{}", index)).collect();
    let types: Vec<Ident> = (0..branches.len()).map(|index| format_ident!("T{}", index)).collect();
    let guarded: Vec<Expr> = branches.iter().map(Branch::guarded_operation).collect();
    let (mut pinned, operations) = pin_operations(&guarded);
    if default.is_none() && branches.iter().all(|branch| branch.guard.is_some()) {
        pinned.extend(quote! {
            if #(#operations.is_none())&&* {
                ::core::panic!("`select!`: every branch is disabled by its `if` condition and there is no `default`")
            }
        });
    }
    let mut polls: Vec<TokenStream> = branches
        .iter()
        .zip(operations.iter().zip(&variants))
        .map(|(branch, (pinned, variant))| {
            let function = if branch.guard.is_some() { "poll_enabled" } else { "poll" };
            let poll = poll_call(function, &branch.operation, pinned, TokenStream::new());
            quote!(#poll.map(#selected::#variant))
        })
        .collect();
    let value = hidden("value", 0);
    let mut arms: Vec<TokenStream> = branches
        .iter()
        .zip(&variants)
        .map(|(Branch { pat, body, .. }, variant)| {
            quote!(#selected::#variant(#value) => { let #pat = #value; #body })
        })
        .collect();
    let (default_variant, constructor) = match &default {
        Some(DefaultBranch { body, .. }) => {
            polls.push(quote!(::core::task::Poll::Ready(#selected::Default)));
            arms.push(quote!(#selected::Default => { #body }));
            (quote!(Default,), quote!(with_default))
        }
        None => (TokenStream::new(), quote!(new)),
    };
    let poll = poll_by_index(&polls);
    let private = private(Span::call_site());
    let count = branches.len();
    Ok(quote! {
        {
            enum #selected<#(#types),*> { #(#variants(#types),)* #default_variant }
            match {
                #pinned
                #private::Select::<_, #count>::#constructor(#poll).await
            } {
                #(#arms)*
            }
        }
    })
}

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut select = Select { branches: Vec::new(), default: None };
        while !input.is_empty() {
            let is_default =
                input.peek2(Token![=>]) && input.cursor().ident().is_some_and(|(i, _)| i == "default");
            if is_default {
                let default = DefaultBranch::parse(input)?;
                if select.default.is_some() {
                    return Err(Error::new(
                        default.keyword.span(),
                        "`select!` takes at most one `default` branch",
                    ));
                }
                select.default = Some(default);
            } else {
                select.branches.push(input.parse()?);
            }
        }
        Ok(select)
    }
}

impl Parse for Branch {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        if input.peek(Token![=>]) {
            return Err(input.error(format!(
                "expected `=`: a branch binds the operation's output to a pattern (`_ = ` to ignore it); {USAGE}"
            )));
        }
        let eq = input.parse().map_err(|err| Error::new(err.span(), format!("expected `=`: {USAGE}")))?;
        let operation = input.parse()?;
        let guard = if input.peek(Token![,]) && input.peek2(Token![if]) {
            Some(Guard { comma: input.parse()?, if_token: input.parse()?, condition: input.parse()? })
        } else {
            None
        };
        let arrow = input.parse().map_err(|err| Error::new(err.span(), format!("expected `=>`: {USAGE}")))?;
        let body = parse_body(input)?;
        Ok(Branch { pat, eq, operation, guard, arrow, body })
    }
}

impl Branch {
    /// What the expansion pins: the operation, or, under a condition, `Some(operation)` if it holds.
    fn guarded_operation(&self) -> Expr {
        let operation = &self.operation;
        match &self.guard {
            None => operation.clone(),
            Some(Guard { condition, .. }) => parse_quote! {
                if #condition {
                    ::core::option::Option::Some(#operation)
                } else {
                    ::core::option::Option::None
                }
            },
        }
    }
}

impl Parse for DefaultBranch {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(DefaultBranch { keyword: input.parse()?, arrow: input.parse()?, body: parse_body(input)? })
    }
}

/// A branch's body and the `,` after it, optional after a block as after a `match` arm's.
fn parse_body(input: ParseStream) -> syn::Result<Expr> {
    let body = Expr::parse_with_earlier_boundary_rule(input)?;
    if input.is_empty() || input.parse::<Option<Token![,]>>()?.is_some() || is_block_like(&body) {
        Ok(body)
    } else {
        Err(input.error("expected `,` after the branch's body"))
    }
}

/// Whether an expression ends with a block, so a `,` after it is optional.
fn is_block_like(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Block(_)
            | Expr::Const(_)
            | Expr::ForLoop(_)
            | Expr::If(_)
            | Expr::Loop(_)
            | Expr::Match(_)
            | Expr::TryBlock(_)
            | Expr::Unsafe(_)
            | Expr::While(_)
    )
}

impl ToTokens for Select {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for Branch { pat, eq, operation, guard, arrow, body } in &self.branches {
            tokens.extend(quote!(#pat #eq #operation));
            if let Some(Guard { comma, if_token, condition }) = guard {
                tokens.extend(quote!(#comma #if_token #condition));
            }
            tokens.extend(quote!(#arrow #body,));
        }
        if let Some(DefaultBranch { keyword, arrow, body }) = &self.default {
            tokens.extend(quote!(#keyword #arrow #body,));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn parse(tokens: TokenStream) -> syn::Result<Select> {
        syn::parse2(tokens)
    }

    #[test]
    fn commas_are_optional_after_block_bodies_only() {
        let select =
            parse(quote!(a = f() => { 1 } b = g() => if x { 2 } else { 3 } c = h() => 4, default => 5))
                .unwrap();
        assert_eq!(select.branches.len(), 3);
        assert!(select.default.is_some());
        assert!(parse(quote!(a = f() => 1 b = g() => 2)).is_err());
    }

    #[test]
    fn default_is_a_branch_only_before_an_arrow() {
        // `default = op => ..` binds a variable named `default`.
        let select = parse(quote!(default = f() => default)).unwrap();
        assert_eq!(select.branches.len(), 1);
        assert!(select.default.is_none());
    }

    #[test]
    fn a_condition_follows_the_operation() {
        let select =
            parse(quote!(x = rx.recv(), if a && b => x, y = f(), if g() => { y } z = h() => 0)).unwrap();
        let guards: Vec<bool> = select.branches.iter().map(|branch| branch.guard.is_some()).collect();
        assert_eq!(guards, [true, true, false]);
    }

    #[test]
    fn reemits_what_it_parses() {
        let select = parse(quote!(x = rx.recv() => { x } _ = sleep(d), if on => 0, default => 1)).unwrap();
        let again = parse(select.to_token_stream()).unwrap();
        assert_eq!(again.to_token_stream().to_string(), select.to_token_stream().to_string());
        assert_eq!(again.branches.len(), 2);
    }
}
