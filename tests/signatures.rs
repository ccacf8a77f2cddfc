//! The signature corpus: one coroutine per shape of signature, each called, run and checked.
//!
//! A coroutine's future captures what an `async fn` with the same signature captures: every lifetime and
//! generic parameter in scope, named or elided. Each body suspends while it still uses its borrowed
//! arguments, so the future really holds them. This file is also compiled as edition 2018 and 2021
//! (`tests/editions/`), where an `impl Trait` return type alone would capture only the lifetimes it names.

#![deny(warnings)]

use coro::block_on;
use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::fmt;

#[coro::coroutine]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    coro::yield_now();
    if a.len() >= b.len() { a } else { b }
}

#[coro::coroutine]
fn outlives<'long: 'short, 'short>(long: &'long str, short: &'short str) -> (&'short str, usize) {
    coro::yield_now();
    (long, short.len())
}

#[test]
fn named_lifetimes() {
    let (a, b) = (String::from("abc"), String::from("de"));
    assert_eq!(block_on(longest(&a, &b)), "abc");
    assert_eq!(block_on(outlives(&a, &b)), ("abc", 2));
}

#[coro::coroutine]
fn elided_shared(a: &str, b: &[u8]) -> usize {
    coro::yield_now();
    a.len() + b.len()
}

#[coro::coroutine]
fn elided_returned(bytes: &[u8]) -> &[u8] {
    coro::yield_now();
    &bytes[1..]
}

#[coro::coroutine]
fn elided_mut(v: &mut Vec<u8>, x: &u8) -> usize {
    coro::yield_now();
    v.push(*x);
    v.len()
}

#[coro::coroutine]
fn nested(outer: &mut &[u8], inner: &&str) -> usize {
    coro::yield_now();
    *outer = &outer[1..];
    outer.len() + inner.len()
}

#[test]
fn elided_lifetimes_in_references() {
    assert_eq!(block_on(elided_shared("ab", &[1, 2, 3])), 5);
    assert_eq!(block_on(elided_returned(&[1, 2, 3])), &[2, 3]);
    let mut v = vec![1];
    assert_eq!(block_on(elided_mut(&mut v, &7)), 2);
    assert_eq!(v, [1, 7]);
    let mut bytes: &[u8] = &[1, 2, 3];
    assert_eq!(block_on(nested(&mut bytes, &"xy")), 4);
    assert_eq!(bytes, [2, 3]);
}

struct Words<'a> {
    text: &'a str,
    taken: usize,
}

impl<'a> Words<'a> {
    #[coro::coroutine]
    fn text(&self) -> &str {
        coro::yield_now();
        self.text
    }

    /// The result borrows from the impl's lifetime, not from `self`.
    #[coro::coroutine]
    fn next_word(&mut self) -> Option<&'a str> {
        coro::yield_now();
        let rest = self.text.get(self.taken..)?.trim_start();
        let word = rest.split(' ').next().filter(|word| !word.is_empty())?;
        self.taken = self.text.len() - rest.len() + word.len();
        Some(word)
    }

    #[coro::coroutine]
    fn into_rest(self) -> &'a str {
        coro::yield_now();
        &self.text[self.taken..]
    }
}

#[test]
fn receivers_and_impl_lifetimes() {
    let text = String::from("one two three");
    let mut words = Words { text: &text, taken: 0 };
    assert_eq!(block_on(words.text()), "one two three");
    let first = block_on(words.next_word());
    let second = block_on(words.next_word());
    assert_eq!((first, second), (Some("one"), Some("two")));
    assert_eq!(block_on(words.into_rest()), " three");
}

#[allow(clippy::await_holding_refcell_ref, reason = "the shape under test: a borrow held while suspended")]
#[coro::coroutine]
fn borrowed_in_path(cell: Ref<'_, Vec<u32>>) -> u32 {
    coro::yield_now();
    cell.iter().sum()
}

/// The lifetime hidden in a path (`Ref<u32>` for `Ref<'_, u32>`), which edition 2018 allows.
#[allow(elided_lifetimes_in_paths, clippy::await_holding_refcell_ref, reason = "the shape under test")]
#[coro::coroutine]
fn hidden_in_path(cell: Ref<u32>) -> u32 {
    coro::yield_now();
    *cell + 1
}

struct Hex(u32);

#[coro::coroutine]
fn write_hex(f: &mut fmt::Formatter<'_>, value: u32) -> fmt::Result {
    coro::yield_now();
    write!(f, "{value:#x}")
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        block_on(write_hex(f, self.0))
    }
}

#[test]
fn lifetimes_in_paths() {
    let cell = RefCell::new(vec![1, 2, 3]);
    assert_eq!(block_on(borrowed_in_path(cell.borrow())), 6);
    let one = RefCell::new(41);
    assert_eq!(block_on(hidden_in_path(one.borrow())), 42);
    assert_eq!(Hex(255).to_string(), "0xff");
}

#[coro::coroutine]
fn impl_args(items: impl IntoIterator<Item = u32>, label: &impl fmt::Display) -> String {
    coro::yield_now();
    let total: u32 = items.into_iter().sum();
    format!("{label}={total}")
}

#[coro::coroutine]
fn generic_const<T: Copy + Into<u64>, const N: usize>(values: [T; N], scale: &T) -> u64 {
    coro::yield_now();
    let scale: u64 = (*scale).into();
    values.iter().map(|value| (*value).into() * scale).sum()
}

#[coro::coroutine]
fn with_where<K, V>(map: &HashMap<K, V>, key: &K) -> Option<V>
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    coro::yield_now();
    map.get(key).cloned()
}

#[test]
fn generics() {
    assert_eq!(block_on(impl_args(vec![1, 2, 3], &"sum")), "sum=6");
    assert_eq!(block_on(generic_const([1u8, 2, 3], &10)), 60);
    let map = HashMap::from([("a", 1)]);
    assert_eq!(block_on(with_where(&map, &"a")), Some(1));
    assert_eq!(block_on(with_where(&map, &"b")), None);
}

#[coro::coroutine]
fn trait_object(items: &mut (dyn Iterator<Item = u8> + '_), f: Box<dyn Fn(u8) -> u8 + '_>) -> Vec<u8> {
    coro::yield_now();
    items.map(f).collect()
}

#[test]
fn trait_objects_with_elided_lifetimes() {
    let offset = 10;
    let add = move |x: u8| x + offset;
    let mut items = vec![1u8, 2].into_iter();
    assert_eq!(block_on(trait_object(&mut items, Box::new(&add))), [11, 12]);
}

trait Store {
    #[coro::coroutine]
    fn get(&self, key: &str) -> Option<&u32>;

    #[coro::coroutine]
    fn get_or<'a>(&'a self, key: &str, default: &'a u32) -> &'a u32 {
        coro::yield_now();
        self.get(key).unwrap_or(default)
    }
}

impl Store for HashMap<String, u32> {
    #[coro::coroutine]
    fn get(&self, key: &str) -> Option<&u32> {
        coro::yield_now();
        HashMap::get(self, key)
    }
}

#[test]
fn trait_methods_with_and_without_default_bodies() {
    let store = HashMap::from([("a".to_string(), 1)]);
    assert_eq!(block_on(Store::get(&store, "a")), Some(&1));
    assert_eq!(block_on(store.get_or("a", &0)), &1);
    assert_eq!(block_on(store.get_or("b", &0)), &0);
}
