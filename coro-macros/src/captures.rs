//! Naming the lifetimes a coroutine's future captures, so that a borrow error at its call site reads as it
//! does for an `async fn`.
//!
//! The returned `impl Suspend` captures every lifetime in scope (`coroutine.rs`), as an `async fn`'s future
//! does. For a borrow that this capture keeps alive too long (`let f = { let v = ..; count(&v) };`), rustc
//! explains an `impl Trait` return type, unlike an `async fn`, with a note that the callee "may capture
//! more lifetimes than intended" and a suggestion to add `+ use<..>` to the generated return type. It leaves
//! both out when a bound of the `impl Trait` names the lifetime, so the expansion names them all:
//!
//! ```text
//! fn get(&self, key: &str, out: &mut (dyn Write + '_)) -> Option<&T>
//! ```
//! becomes
//! ```text
//! #[allow(refining_impl_trait)]
//! fn get<'_self, '_key, '_out, '_out2>(&'_self self, key: &'_key str, out: &'_out mut (dyn Write + '_out2))
//!     -> impl Suspend<Output = Option<&'_self T>> + Captures<(&'_self (), &'_key (), &'_out (), &'_out2 ())>
//! ```
//! `Captures<T>` is implemented for every type, so the bound says nothing a caller can use, and nothing more
//! than a trait's declaration of the method (hence the `allow`). A new lifetime is the argument's name after
//! an underscore, which is how rustc's messages then refer to it; the underscore keeps it apart from the
//! lifetimes of the fn and of its impl, which the macro cannot see (lifetimes are not hygienic). To callers
//! an elided lifetime and a named one are the same. The output's elided lifetimes are spelled out as they
//! resolve (to `&self`'s): rustc warns of a signature that names a lifetime in one place and elides it in
//! another. Where the output takes its elided lifetimes from the only lifetime of the arguments, the
//! arguments are left as written: `Output` already names that lifetime, and a lifetime hidden in a path
//! (`Ref<T>`), which only rustc sees, could make the elision ambiguous, which must stay an error.
//!
//! Elided lifetimes of fn pointer and `Fn(..)` types belong to those types and are left alone. A borrow
//! through a lifetime the macro cannot name (hidden in a path, or the impl's) may still get the note.

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{
    FnArg, GenericParam, Lifetime, LifetimeParam, ParenthesizedGenericArguments, Pat, ReturnType, Signature,
    Token, TraitBound, Type, TypeBareFn, TypeReference,
};

/// Names the elided lifetimes of `sig`'s arguments and returns every lifetime parameter of the fn (the
/// user's and the newly named), for the `Captures` bound.
pub(crate) fn name_lifetimes(sig: &mut Signature) -> Vec<Lifetime> {
    let mut inputs = sig.inputs.clone();
    let named = name_arguments(&mut inputs);
    if let Some(output) = output_lifetime(sig, &inputs) {
        sig.inputs = inputs;
        if let (ReturnType::Type(_, ty), Some(output)) = (&mut sig.output, output) {
            // Spelled out as it resolves (`mismatched_lifetime_syntaxes`).
            Namer::new(String::new()).with_lifetime(output).visit_type_mut(ty);
        }
        let position = sig.generics.lifetimes().count();
        for (offset, lifetime) in named.into_iter().enumerate() {
            let param = GenericParam::Lifetime(LifetimeParam::new(lifetime));
            sig.generics.params.insert(position + offset, param);
        }
    }
    sig.generics.lifetimes().map(|param| param.lifetime.clone()).collect()
}

/// Names the elided lifetimes of every argument, and returns them.
fn name_arguments(inputs: &mut Punctuated<FnArg, Token![,]>) -> Vec<Lifetime> {
    let mut named = Vec::new();
    for (index, arg) in inputs.iter_mut().enumerate() {
        let mut namer = match arg {
            FnArg::Receiver(receiver) => {
                let mut namer = Namer::new("self".to_owned());
                if let Some((and, lifetime @ None)) = &mut receiver.reference {
                    *lifetime = Some(namer.fresh(and.span));
                    // `ty` is the `&Self` that `&self` stands for: kept the same as what is printed.
                    if let Type::Reference(ty) = &mut *receiver.ty {
                        ty.lifetime.clone_from(lifetime);
                    }
                } else {
                    namer.visit_type_mut(&mut receiver.ty);
                }
                namer
            }
            FnArg::Typed(arg) => {
                let base = match &*arg.pat {
                    Pat::Ident(binding) => binding.ident.to_string().trim_start_matches("r#").to_owned(),
                    _ => format!("arg{index}"),
                };
                let mut namer = Namer::new(base);
                namer.visit_type_mut(&mut arg.ty);
                namer
            }
        };
        named.append(&mut namer.named);
    }
    named
}

/// Whether the arguments can take the `named` lifetimes, and the lifetime that the output's elided ones (if
/// any) then resolve to: `Some(None)` when the output elides none, `Some(Some(lifetime))` when it takes them
/// from `&self`. Otherwise the output takes them from the only lifetime of the arguments, which its `Output`
/// already names, or its elision is ambiguous (E0106, which the user's own signature then reports; a lifetime
/// hidden in a path counts, which the macro cannot see), so the arguments keep their elided lifetimes.
fn output_lifetime(sig: &Signature, inputs: &Punctuated<FnArg, Token![,]>) -> Option<Option<Lifetime>> {
    let ReturnType::Type(_, output) = &sig.output else { return Some(None) };
    let mut output_namer = Namer::new("output".to_owned());
    output_namer.visit_type_mut(&mut output.clone());
    if output_namer.named.is_empty() {
        return Some(None);
    }
    let Some(FnArg::Receiver(receiver)) = inputs.first() else { return None };
    match (&receiver.reference, &*receiver.ty) {
        (Some((_, lifetime)), _) => Some(lifetime.clone()),
        (None, Type::Reference(reference)) => Some(reference.lifetime.clone()),
        _ => None,
    }
}

/// Gives every elided lifetime of one type a name: the argument's, then numbered.
struct Namer {
    base: String,
    named: Vec<Lifetime>,
    /// Given, every elided lifetime becomes this one instead of a new one.
    lifetime: Option<Lifetime>,
}

impl Namer {
    fn new(base: String) -> Self {
        Namer { base, named: Vec::new(), lifetime: None }
    }

    fn with_lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// A new lifetime at `span` (where the elided one was), or the one given.
    fn fresh(&mut self, span: Span) -> Lifetime {
        if let Some(lifetime) = &self.lifetime {
            return lifetime.clone();
        }
        let name = match self.named.len() {
            0 => format!("'_{}", self.base),
            n => format!("'_{}{}", self.base, n + 1),
        };
        // Resolved at the macro's call site, like the rest of the expansion: lints see it as generated.
        let lifetime = Lifetime::new(&name, span.resolved_at(Span::call_site()));
        self.named.push(lifetime.clone());
        lifetime
    }
}

impl VisitMut for Namer {
    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        if reference.lifetime.is_none() {
            reference.lifetime = Some(self.fresh(reference.and_token.span));
        }
        visit_mut::visit_type_reference_mut(self, reference);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.fresh(lifetime.apostrophe);
        }
    }

    // The elided lifetimes of `fn(&T)`, `Fn(&T)` and `for<'a> ..` are the type's own, not the fn's.
    fn visit_type_bare_fn_mut(&mut self, _: &mut TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut ParenthesizedGenericArguments) {}
    fn visit_trait_bound_mut(&mut self, bound: &mut TraitBound) {
        if bound.lifetimes.is_none() {
            visit_mut::visit_trait_bound_mut(self, bound);
        }
    }
    fn visit_macro_mut(&mut self, _: &mut syn::Macro) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    /// The signature with its lifetimes named, and the lifetimes the bound mentions, as strings.
    fn named(mut sig: Signature) -> (String, Vec<String>) {
        let lifetimes = name_lifetimes(&mut sig);
        (sig.into_token_stream().to_string(), lifetimes.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn elided_lifetimes_get_the_arguments_names_and_the_output_takes_selfs() {
        let (sig, lifetimes) = named(parse_quote! {
            fn get<'a>(&self, key: &str, items: &mut (dyn Iterator<Item = &'a u8> + '_), f: impl Fn(&u8)) -> Option<&u32>
        });
        assert_eq!(lifetimes, ["'a", "'_self", "'_key", "'_items", "'_items2"]);
        for named in ["& '_self self", "key : & '_key str", "& '_items mut (dyn", "+ '_items2)", "Fn (& u8)"]
        {
            assert!(sig.contains(named), "{named} in {sig}");
        }
        assert!(sig.contains("-> Option < & '_self u32 >"), "{sig}");
    }

    #[test]
    fn an_output_elided_without_self_keeps_the_arguments_as_written() {
        // `Ref<u32>` hides a lifetime: naming `x`'s would resolve an elision that is ambiguous (E0106).
        let (sig, lifetimes) = named(parse_quote!(fn one(x: &[u8], cell: Ref<u32>) -> &[u8]));
        assert_eq!(sig, "fn one (x : & [u8] , cell : Ref < u32 >) -> & [u8]");
        assert!(lifetimes.is_empty());
    }
}
