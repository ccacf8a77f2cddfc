//! Reading the item under `#[coro::coroutine]`, and refusing what cannot be a coroutine.
//!
//! One parser covers every place a coroutine can be declared: a free fn, an inherent or trait-impl method
//! (`pub fn f(&mut self) { .. }`) and a trait method with or without a default body (`fn f(&self);`).
//! Every refusal is an error on the user's own span that says how to fix it.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Block, Error, Item, Signature, Token, Visibility, braced};

/// A fn as written, with its body if it has one.
pub(crate) struct CoroutineFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// `None` for a trait method without a default body.
    pub(crate) body: Option<Block>,
}

impl CoroutineFn {
    /// Parses `tokens` as a fn that can become a coroutine, or explains why it cannot. `attribute` names the
    /// attribute being expanded, for the messages (`#[coro::coroutine]`, `#[coro::main]`, ...).
    pub(crate) fn parse(tokens: TokenStream, attribute: &str) -> syn::Result<CoroutineFn> {
        let item = match syn::parse2::<CoroutineFn>(tokens.clone()) {
            Ok(item) => item,
            Err(err) => return Err(not_a_fn(tokens, attribute).unwrap_or(err)),
        };
        item.check(attribute)?;
        Ok(item)
    }

    fn check(&self, attribute: &str) -> syn::Result<()> {
        let sig = &self.sig;
        if let Some(asyncness) = &sig.asyncness {
            return Err(Error::new(
                asyncness.span(),
                format_args!(
                    "remove `async`: `{attribute}` makes the body a coroutine itself, and the calls that suspend \
                     are awaited for you"
                ),
            ));
        }
        if let Some(constness) = &sig.constness {
            return Err(Error::new(
                constness.span(),
                "a coroutine cannot be a `const fn`: it returns a future to run, not a value computed at \
                 compile time; remove `const`",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            return Err(Error::new(
                variadic.dots.span(),
                "a coroutine cannot be variadic: take a slice (`args: &[T]`) or a `Vec<T>` instead",
            ));
        }
        if let Some(abi) = &sig.abi {
            return Err(Error::new_spanned(
                abi,
                "an `extern` fn cannot be a coroutine: it would return a Rust future, which foreign code cannot \
                 drive; remove the ABI, and expose the coroutine to foreign code through a separate \
                 `extern \"C\" fn` that runs it with `coro::block_on(..)`",
            ));
        }
        Ok(())
    }
}

impl Parse for CoroutineFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body = if input.parse::<Option<Token![;]>>()?.is_some() {
            None
        } else {
            let content;
            let brace_token = braced!(content in input);
            // Inner attributes (`#![allow(..)]` at the top of the body) apply to the fn: keep them on it.
            for mut inner in content.call(Attribute::parse_inner)? {
                inner.style = syn::AttrStyle::Outer;
                attrs.push(inner);
            }
            let stmts = content.call(Block::parse_within)?;
            Some(Block { brace_token, stmts })
        };
        Ok(CoroutineFn { attrs, vis, sig, body })
    }
}

/// The error for an item that parses, but not as a fn: it names what was found.
fn not_a_fn(tokens: TokenStream, attribute: &str) -> Option<Error> {
    let item: Item = syn::parse2(tokens).ok()?;
    let (what, span) = match &item {
        Item::Struct(s) => ("a struct", s.struct_token.span()),
        Item::Enum(e) => ("an enum", e.enum_token.span()),
        Item::Union(u) => ("a union", u.union_token.span()),
        Item::Trait(t) => ("a trait", t.trait_token.span()),
        Item::Impl(i) => ("an impl block", i.impl_token.span()),
        Item::Mod(m) => ("a module", m.mod_token.span()),
        Item::Const(c) => ("a const", c.const_token.span()),
        Item::Static(s) => ("a static", s.static_token.span()),
        Item::Type(t) => ("a type alias", t.type_token.span()),
        Item::Use(u) => ("a use declaration", u.use_token.span()),
        Item::ExternCrate(e) => ("an extern crate", e.extern_token.span()),
        Item::ForeignMod(f) => ("an extern block", f.abi.span()),
        Item::Macro(m) => ("a macro", m.mac.path.span()),
        Item::TraitAlias(t) => ("a trait alias", t.trait_token.span()),
        _ => ("not a fn", item.span()),
    };
    let hint = match item {
        Item::Impl(_) | Item::Trait(_) => {
            "; put the attribute on each method that should suspend, inside the block"
        }
        _ => "; remove it, or put it on the `fn`s that should suspend",
    };
    Some(Error::new(span, format_args!("`{attribute}` applies to a `fn`, and this is {what}{hint}")))
}
