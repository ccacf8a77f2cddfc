//! Inserting the suspension points into a coroutine's body.
//!
//! This module holds the macro's contract with its users, the rule for implicit suspension (the user-facing
//! summary is the documentation of `coro::coroutine`, and README's "Writing coroutines").
//!
//! # The rule
//!
//! Every function call and method call in the body is a candidate. A candidate is replaced by its
//! *classification*, which the type checker resolves: when the call's value is `coro::Suspend` it is
//! awaited in place, otherwise the value passes through untouched. What the visitor leaves alone is as
//! important:
//!
//! - closures, `async` blocks and `const` blocks: they are separate bodies, synchronous or explicitly async;
//! - nested items, types, generic arguments, patterns and array lengths: not run by this body, or const;
//! - the operand of a user's `.await`: the user already awaits it (this is how foreign futures are used);
//! - arguments of macros, except the std formatting, assertion and `vec!` macros whose arguments are plain
//!   expressions ([`EXPRESSION_MACROS`]): `spawn!(f(x))` must receive the coroutine `f(x)`, not its result;
//! - the operations of `select!`, `join!` and `try_join!`, which the macro races or runs together (what an
//!   operation's own arguments contain is rewritten as usual, like any call's); the bodies of `select!`'s
//!   branches run in this body and are rewritten. These macros are recognized by the last segment of their
//!   path (`select!`, `coro::select!`, `my::select!`) and parsed with the macro's own parser, then re-emitted
//!   with the rewritten tokens; an input the parser rejects is left as written, for the macro to report;
//! - `write!` and `writeln!` expand to a `write_fmt` call, which may be an operation (`coro::io::Write`'s
//!   is): the macro itself goes through the probe, like a call, after its arguments are rewritten. It is
//!   bound first, `{ let written = write!(..); written }`, so the temporaries of its `format_args!` (not
//!   `Send`) end before the suspension instead of living across it as a call's temporaries do;
//! - calls that are never awaited, by name (the skip lists): methods whose result type is chosen by the
//!   context, where a probe would stop inference ([`SKIPPED_METHODS`]: `into`, `collect`, `parse`, the
//!   `unwrap` family, ...); methods whose result std makes plain by convention ([`PLAIN_METHODS`] and
//!   [`PLAIN_METHOD_PREFIXES`]: `len`, `clone`, `min`, `is_some`, `wrapping_add`, ...), which are also the
//!   most common calls, so skipping them keeps long bodies fast to compile; path calls that convert or
//!   never return ([`SKIPPED_PATH_CALLS`]: `default`, `from`, `exit`, ...); and tuple-struct or variant
//!   constructors (a path whose last segment starts with an uppercase letter).
//!
//! Where the user wrote the type down (`let x: T = call()`, and the `return` operand and tail of a fn with
//! a declared return type), the classification is told the type, so `let f: ReadFuture = s.read(..)`
//! stores the future instead of awaiting it, and an ordinary `let n: u64 = x.into()`-style call infers as
//! usual. A `return` operand and the tail are also bound to the declared type (`__private::returned!`), so
//! they coerce as in a plain fn (`return Err(Box::new(e))` in a fn returning `Result<T, Box<dyn Error>>`).
//!
//! # The classification of one call
//!
//! ```text
//! match CALL {
//!     __coro_value => {
//!         let (__coro_value, __coro_probe) = __private::probe(__coro_value);
//!         let __coro_kind = (__coro_probe).__coro_kind();       // ViaSuspend or ViaPlain
//!         if __coro_kind.suspends() {                          // a constant of the tag
//!             __coro_kind.guard();                               // diverges when plain
//!             __coro_kind.operation(__coro_value).await
//!         } else {
//!             __coro_kind.value(__coro_value)                    // the value itself when plain
//!         }
//!     }
//! }
//! ```
//!
//! (`typed_probe::<T, _>` and `(&&&__coro_probe)` where the type is annotated; the traits are imported
//! once at the top of the body.) `coro-core/src/__private.rs` explains the autoref specialization behind
//! `__coro_kind` and why the branches have this shape: the future is exactly the size of the hand-written
//! `async fn` and is `Send` exactly when that one is. Here, two properties of the tokens: the `match`
//! keeps the user's span, so a type error about the value points at the call; everything inside is on
//! the call too, resolved at the macro's call site, so a value that is not `Suspend` fails the same bound
//! at the same span wherever the expansion needs it, and rustc reports that once.
//!
//! # Known limits
//!
//! - A call whose type only the context decides (`takes_bar(make())`, `let t = make();` with
//!   `fn make<T: Default>() -> T`) fails with E0282/E0283: the classification needs the value's type
//!   before the code around it is checked. The fix is a turbofish or a typed `let`.
//! - A call to a user fn returning `!` cannot be classified (its value has no type to look at): one E0277
//!   that names `coro::nowait!`, the fix.
//! - A method named in [`PLAIN_METHODS`] that does return an operation is not awaited: `coro::wait(x.len())`.
//! - Compile time grows with the number of probed calls in one coroutine, faster than linearly (the borrow
//!   checker's work is the body's blocks times its locals): BENCHMARKS.md has the figures. Long synchronous
//!   stretches belong in plain helper functions.
//! - A borrow error at a coroutine's call site through a lifetime the macro cannot name (hidden in a path, or
//!   the enclosing impl's) may carry rustc's note that the callee "may capture more lifetimes than intended"
//!   and a `+ use<..>` suggestion (`captures.rs` names every other one). A coroutine, like an `async fn`,
//!   holds its arguments until it completes, so the fix is at the call site.

use crate::select::Select;
use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, GenericArgument, Item, Local, Macro, Pat, Path, Stmt, Token, Type};

/// Methods whose result type is decided by the context, or that only unwrap such a value: never awaited.
const SKIPPED_METHODS: &[&str] = &[
    "into",
    "try_into",
    "collect",
    "sum",
    "product",
    "parse",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "unwrap_unchecked",
];

/// Methods never awaited because their result is plain by convention: std defines them on its primitives,
/// strings, collections, `Option` and `Result` with plain results (a length, a copy, a comparison, a flag),
/// and an operation with one of these names would surprise its readers. Skipping them is also what keeps
/// long bodies fast to compile: each probe is type- and borrow-checked, and these are the most common calls.
/// A method of one of these names that does return an operation is awaited with `coro::wait(x.len())`.
const PLAIN_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "capacity",
    "clone",
    "to_string",
    "to_owned",
    "to_vec",
    "as_str",
    "as_bytes",
    "as_slice",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "iter",
    "iter_mut",
    "min",
    "max",
    "clamp",
    "abs",
    "pow",
    "eq",
    "ne",
    "cmp",
    "partial_cmp",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
];

/// Prefixes of the integer arithmetic methods (`wrapping_add`, `checked_mul`, ...), plain like
/// [`PLAIN_METHODS`].
const PLAIN_METHOD_PREFIXES: &[&str] = &["wrapping_", "checked_", "saturating_", "overflowing_"];

/// Path calls never awaited: conversions whose type comes from the context (`Default::default()`,
/// `T::from(x)`), and std functions that return `!` (a `!` value has no type the probe could look at).
const SKIPPED_PATH_CALLS: &[&str] = &[
    "default",
    "from",
    "try_from",
    "from_iter",
    "from_str",
    "into",
    "try_into",
    "exit",
    "abort",
    "panic_any",
    "resume_unwind",
    "unreachable_unchecked",
];

/// std macros whose arguments are plain expressions, rewritten like the rest of the body.
const EXPRESSION_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "dbg",
    "vec",
    "todo",
    "unimplemented",
    "unreachable",
];

/// Rewrites one coroutine body in place.
pub(crate) struct Rewriter<'a> {
    /// The path of the `coro` crate.
    krate: &'a Path,
    /// The declared return type, when the `return` operands and the tail must be checked against it.
    returns: Option<&'a Type>,
}

impl<'a> Rewriter<'a> {
    pub(crate) fn new(krate: &'a Path, returns: Option<&'a Type>) -> Self {
        Rewriter { krate, returns }
    }

    /// Rewrites a fn body: its statements, and its tail expression as a value of the declared type.
    pub(crate) fn rewrite_body(&mut self, body: &mut Block) {
        let (stmts, tail) = match body.stmts.split_last_mut() {
            Some((Stmt::Expr(tail, None), stmts)) => (stmts, Some(tail)),
            _ => (&mut body.stmts[..], None),
        };
        stmts.iter_mut().for_each(|stmt| self.visit_stmt_mut(stmt));
        if let Some(tail) = tail {
            self.rewrite_returned(tail);
        }
    }

    /// A value that leaves the fn (`return` operand or tail): bound to the declared type, so it coerces as it
    /// would in a plain fn.
    fn rewrite_returned(&mut self, value: &mut Expr) {
        let Some(ty) = self.returns else {
            return self.visit_expr_mut(value);
        };
        self.rewrite_typed(value, ty);
        if let Expr::Macro(_) | Expr::Lit(_) = peel_parens(value) {
            // Nothing to coerce (`panic!`, `format!`, a literal), and binding a diverging macro would draw
            // clippy's `diverging_sub_expression` on the user's code.
            return;
        }
        let span = value.span();
        let private = self.private(span);
        let inner = std::mem::replace(value, Expr::Verbatim(TokenStream::new()));
        *value = Expr::Verbatim(quote_spanned!(span=> #private::returned!(#ty; #inner)));
    }

    /// An expression whose type the user wrote down.
    fn rewrite_typed(&mut self, expr: &mut Expr, ty: &Type) {
        let expr = peel_parens(expr);
        if is_candidate(expr) {
            visit_mut::visit_expr_mut(self, expr);
            self.wrap(expr, Some(ty));
        } else {
            self.visit_expr_mut(expr);
        }
    }

    /// Replaces the call `expr` with its classification: awaited when its value is `coro::Suspend`, passed
    /// through otherwise (the machinery and why it has this shape: `coro-core/src/__private.rs`).
    ///
    /// The call is the scrutinee of a `match` with no block around it, so its temporaries live to the end of
    /// the user's statement exactly as they do for `CALL.await`, and nothing else is kept alive. Every token
    /// of the expansion is on the user's call, resolved at the macro's call site: errors point at the call,
    /// and a value that is not `Suspend` on the suspending path fails the same bound at the same span
    /// everywhere, which the compiler reports once.
    fn wrap(&self, expr: &mut Expr, ty: Option<&Type>) {
        let user = expr.span();
        let span = user.resolved_at(Span::call_site());
        let private = self.private(span);
        let call = std::mem::replace(expr, Expr::Verbatim(TokenStream::new()));
        let (probe, receiver) = match ty {
            None => (quote_spanned!(span=> #private::probe), TokenStream::new()),
            Some(ty) => (quote_spanned!(span=> #private::typed_probe::<#ty, _>), quote_spanned!(span=> &&&)),
        };
        let arms = quote_spanned! {span=>
            #[allow(unreachable_code)]
            __coro_value => {
                let (__coro_value, __coro_probe) = #probe(__coro_value);
                let __coro_kind = (#receiver __coro_probe).__coro_kind();
                if __coro_kind.suspends() {
                    __coro_kind.guard();
                    __coro_kind.operation(__coro_value).await
                } else {
                    __coro_kind.value(__coro_value)
                }
            }
        };
        // The `match` as a whole is the user's expression (a type error about the value, such as passing it
        // to a fn that wants a future, points at the call); its insides are the macro's.
        let mut arms = Group::new(Delimiter::Brace, arms);
        arms.set_span(user);
        // In parentheses, so that the `match` stays one operand wherever the call was (`f(x) + 1;` as a
        // statement, a `select!` body): a `match` that starts a statement would end it at its `}`.
        let mut expansion = Group::new(Delimiter::Parenthesis, quote_spanned!(user=> match #call #arms));
        expansion.set_span(user);
        *expr = Expr::Verbatim(expansion.into_token_stream());
    }

    /// The import that puts the classification's methods in scope, once for the whole body.
    pub(crate) fn prelude(&self) -> TokenStream {
        let private = self.private(Span::call_site());
        quote! {
            #[allow(unused_imports)]
            use #private::{ViaExact as _, ViaPlain as _, ViaSuspend as _, ViaTypedSuspend as _};
        }
    }

    /// `coro::__private`, every token on `span`: a macro call's span starts at its path, so this is what
    /// makes errors and warnings about the expansion point at the user's expression.
    fn private(&self, span: Span) -> TokenStream {
        let krate = self.krate.to_token_stream().into_iter().map(|mut token| {
            token.set_span(span);
            token
        });
        quote_spanned!(span=> #(#krate)*::__private)
    }

    /// `select! { pattern = operation => body, .. }`: the operations are raced, not awaited; the bodies run
    /// in this coroutine.
    fn rewrite_select(&mut self, mac: &mut Macro) {
        let Ok(mut select) = mac.parse_body::<Select>() else { return };
        for branch in &mut select.branches {
            self.visit_operand(&mut branch.operation);
            if let Some(guard) = &mut branch.guard {
                self.visit_expr_mut(&mut guard.condition);
            }
            self.visit_expr_mut(&mut branch.body);
        }
        if let Some(default) = &mut select.default {
            self.visit_expr_mut(&mut default.body);
        }
        mac.tokens = select.into_token_stream();
    }

    /// `join!(operation, ..)`: the operations run together, not awaited one by one.
    fn rewrite_join(&mut self, mac: &mut Macro) {
        let Ok(mut operations) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) else {
            return;
        };
        operations.iter_mut().for_each(|operation| self.visit_operand(operation));
        mac.tokens = operations.into_token_stream();
    }

    /// Rewrites what an expression contains, but not the expression itself (the operand of `.await`, an
    /// operation of `select!` or `join!`).
    fn visit_operand(&mut self, expr: &mut Expr) {
        match peel_parens(expr) {
            expr @ (Expr::Call(_) | Expr::MethodCall(_)) => visit_mut::visit_expr_mut(self, expr),
            expr => self.visit_expr_mut(expr),
        }
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => return,
            Expr::Await(awaited) => return self.visit_operand(&mut awaited.base),
            // `[value; LEN]`: the length is a const context.
            Expr::Repeat(repeat) => return self.visit_expr_mut(&mut repeat.expr),
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    self.rewrite_returned(value);
                }
                return;
            }
            _ => {}
        }
        visit_mut::visit_expr_mut(self, expr);
        if let Expr::Macro(mac) = expr {
            if is_write_macro(&mac.mac.path) {
                let span = mac.span();
                *expr = Expr::Verbatim(quote_spanned!(span=> { let __coro_written = #mac; __coro_written }));
                self.wrap(expr, None);
            }
        } else if is_candidate(expr) {
            self.wrap(expr, None);
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        // `writeln!(out, ..);` is a macro statement: made an expression statement, so it is probed.
        if let Stmt::Macro(statement) = stmt {
            if is_write_macro(&statement.mac.path) {
                let semi = statement.semi_token.unwrap_or_default();
                let mac = Expr::Macro(syn::ExprMacro {
                    attrs: std::mem::take(&mut statement.attrs),
                    mac: statement.mac.clone(),
                });
                *stmt = Stmt::Expr(mac, Some(semi));
            }
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_local_mut(&mut self, local: &mut Local) {
        let (Pat::Type(typed), Some(init)) = (&local.pat, &mut local.init) else {
            return visit_mut::visit_local_mut(self, local);
        };
        if matches!(*typed.ty, Type::Infer(_)) {
            return visit_mut::visit_local_mut(self, local);
        }
        let ty = typed.ty.clone();
        self.rewrite_typed(&mut init.expr, &ty);
        if let Some((_, diverge)) = &mut init.diverge {
            self.visit_expr_mut(diverge);
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut Macro) {
        match mac.path.segments.last().map(|last| last.ident.to_string()).as_deref() {
            Some("select") => return self.rewrite_select(mac),
            Some("join" | "try_join") => return self.rewrite_join(mac),
            _ => {}
        }
        if !is_expression_macro(&mac.path) {
            return;
        }
        let parsed = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated);
        if let Ok(mut args) = parsed {
            args.iter_mut().for_each(|arg| self.visit_expr_mut(arg));
            mac.tokens = args.into_token_stream();
        } else if let Ok(mut repeat) = mac.parse_body::<RepeatArgs>() {
            // `vec![value; len]`: unlike an array length, `len` is an ordinary run-time expression.
            self.visit_expr_mut(&mut repeat.value);
            self.visit_expr_mut(&mut repeat.len);
            mac.tokens = repeat.into_token_stream();
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
    fn visit_type_mut(&mut self, _: &mut Type) {}
    fn visit_generic_argument_mut(&mut self, _: &mut GenericArgument) {}
    fn visit_pat_mut(&mut self, _: &mut Pat) {}
}

/// Whether `expr` is a call that goes through the probe.
fn is_candidate(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(func) => func.path.segments.last().is_none_or(|last| {
                let name = last.ident.to_string();
                let constructor = name.starts_with(|c: char| c.is_uppercase());
                !constructor && !SKIPPED_PATH_CALLS.contains(&name.as_str())
            }),
            _ => true,
        },
        Expr::MethodCall(call) => {
            let name = call.method.to_string();
            let plain = PLAIN_METHODS.contains(&name.as_str())
                || PLAIN_METHOD_PREFIXES.iter().any(|prefix| name.starts_with(prefix));
            !plain && !SKIPPED_METHODS.contains(&name.as_str())
        }
        _ => false,
    }
}

/// `write!` and `writeln!` by their std name: a `write_fmt` call in disguise.
fn is_write_macro(path: &Path) -> bool {
    is_expression_macro(path)
        && path.segments.last().is_some_and(|last| last.ident == "write" || last.ident == "writeln")
}

/// `println!`, `std::println!`, `core::assert!`, ...: a macro of [`EXPRESSION_MACROS`] by its std name.
fn is_expression_macro(path: &Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let (name, prefix) = match segments.split_last() {
        Some((name, prefix)) => (name, prefix),
        None => return false,
    };
    let std_path = match prefix {
        [] => path.leading_colon.is_none(),
        [root] => matches!(root.as_str(), "std" | "core" | "alloc"),
        _ => false,
    };
    std_path && EXPRESSION_MACROS.contains(&name.as_str())
}

fn peel_parens(expr: &mut Expr) -> &mut Expr {
    match expr {
        Expr::Paren(paren) => peel_parens(&mut paren.expr),
        expr => expr,
    }
}

/// The body of `vec![value; len]`.
struct RepeatArgs {
    value: Expr,
    semi: Token![;],
    len: Expr,
}

impl syn::parse::Parse for RepeatArgs {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        Ok(RepeatArgs { value: input.parse()?, semi: input.parse()?, len: input.parse()? })
    }
}

impl ToTokens for RepeatArgs {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.value.to_tokens(tokens);
        self.semi.to_tokens(tokens);
        self.len.to_tokens(tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    /// The body rewritten by a coroutine with no declared return type, as a string.
    fn rewrite(mut body: Block) -> String {
        Rewriter::new(&parse_quote!(::coro), None).rewrite_body(&mut body);
        body.into_token_stream().to_string()
    }

    #[test]
    fn select_operations_are_raced_and_bodies_rewritten() {
        let rewritten = rewrite(parse_quote!({
            coro::select! {
                v = rx.recv() => handle(v),
                _ = sleep(millis(5)), if ticking() => { tick(); }
                default => idle(),
            }
        }));
        for call in
            ["rx . recv ()", "sleep (", "handle (v)", "millis (5)", "ticking ()", "tick ()", "idle ()"]
        {
            let awaited = format!("match {call}");
            let expected = !matches!(call, "rx . recv ()" | "sleep (");
            assert_eq!(rewritten.contains(&awaited), expected, "{call} in {rewritten}");
        }
    }

    #[test]
    fn join_operations_run_together_and_their_arguments_are_rewritten() {
        let rewritten = rewrite(parse_quote!({
            let (a, b) = coro::try_join!(double(half(x)), other())?;
        }));
        assert!(rewritten.contains("match half (x)"), "{rewritten}");
        assert!(!rewritten.contains("match double"), "{rewritten}");
        assert!(!rewritten.contains("match other"), "{rewritten}");
    }

    #[test]
    fn plain_by_convention_methods_get_no_probe() {
        let rewritten = rewrite(parse_quote!({
            let n = v.len().wrapping_add(1).min(s.peer_addr().len());
        }));
        assert!(rewritten.contains("match s . peer_addr ()"), "{rewritten}");
        for call in ["v . len ()", ". wrapping_add", ". min"] {
            assert!(!rewritten.contains(&format!("match {call}")), "{call} in {rewritten}");
        }
        assert_eq!(rewritten.matches("__coro_kind ()").count(), 1, "{rewritten}");
    }

    #[test]
    fn write_macros_are_probed_like_calls() {
        let rewritten = rewrite(parse_quote!({
            write!(out, "{}", f())?;
            writeln!(out, "done");
            println!("{}", g());
        }));
        assert!(rewritten.contains("match { let __coro_written = write ! (out"), "{rewritten}");
        assert!(rewritten.contains("match { let __coro_written = writeln ! (out"), "{rewritten}");
        assert!(rewritten.contains("match f ()"), "{rewritten}");
        assert!(!rewritten.contains("match println"), "{rewritten}");
    }

    #[test]
    fn a_malformed_select_is_left_for_the_macro_to_report() {
        let rewritten = rewrite(parse_quote!({
            select! { f() => g() }
        }));
        assert!(!rewritten.contains("__coro_kind"), "{rewritten}");
    }
}
