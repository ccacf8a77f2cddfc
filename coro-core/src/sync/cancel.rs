//! `CancellationToken`: tell a tree of tasks to stop.
//!
//! # Design
//!
//! A token is a counted reference to a node; the nodes form a tree through [`child_token`]. Each node keeps,
//! under its own mutex, whether it is cancelled, its children (a slab of nodes), the number of tokens that
//! refer to it, and the queue of its waiting [`Cancelled`] operations (the crate's `WaitList`). Cancelling a
//! node marks it and releases its waiters under its lock, then cancels its children one by one after
//! unlocking, so no two node locks are ever held at once and the depth of the tree costs no stack of locks
//! held (it does cost recursion).
//!
//! Memory stays bounded when children come and go (a child token per connection, say): a node leaves its
//! parent's slab once no token refers to it and it has no children of its own, which may in turn let its
//! parent go. A child is registered only while its parent is not cancelled; a child of a cancelled parent
//! starts cancelled and is not registered.
//!
//! [`child_token`]: CancellationToken::child_token

use crate::Suspend;
use crate::loom::{Mutex, lock};
use crate::runtime::coop;
use crate::wait_list::{WaitList, WakeList, wake_batched};
use slab::Slab;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// A token that tells tasks to stop: [`cancel`](CancellationToken::cancel) it, and every clone sees it
/// cancelled, every [`cancelled()`](CancellationToken::cancelled) operation completes, and every
/// [`child_token`](CancellationToken::child_token) (and theirs, down the tree) is cancelled too. A child
/// cancelled on its own does not cancel its parent.
///
/// ```
/// use coro_core::sync::CancellationToken;
///
/// coro_core::run(async {
///     let shutdown = CancellationToken::new();
///     let worker = {
///         let token = shutdown.child_token();
///         coro_core::spawn(async move {
///             token.cancelled().await; // in a coroutine, in a `select!` branch: `_ = token.cancelled() => ..`
///             "stopped"
///         })
///     };
///     shutdown.cancel();
///     assert_eq!(worker.join().await.unwrap(), "stopped");
/// });
/// ```
///
/// Tokens are `Clone + Send + Sync`; a clone is the same token. Inside a `#[coro::coroutine]`,
/// `token.cancelled();` suspends and `coro::select!` takes it as a branch.
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    parent: Option<Arc<Node>>,
    state: Mutex<State>,
}

struct State {
    cancelled: bool,
    /// Tokens referring to this node.
    tokens: usize,
    children: Slab<Arc<Node>>,
    /// This node's key in its parent's `children`, while registered there.
    key: Option<usize>,
    waiters: WaitList<()>,
}

impl Node {
    fn new(parent: Option<Arc<Node>>, cancelled: bool) -> Arc<Node> {
        Arc::new(Node {
            parent,
            state: Mutex::new(State {
                cancelled,
                tokens: 1,
                children: Slab::new(),
                key: None,
                waiters: WaitList::new(),
            }),
        })
    }

    fn cancel(&self) {
        let children = wake_batched(
            &self.state,
            |state, _: &mut WakeList| {
                if state.cancelled {
                    return Slab::new();
                }
                state.cancelled = true;
                std::mem::take(&mut state.children)
            },
            |state, wakers| state.waiters.release_front(wakers, |_| true),
        );
        for (_, child) in children {
            lock(&child.state).key = None;
            child.cancel();
        }
    }

    /// Leaves the parent's children once no token refers to this node and it has none of its own; then
    /// the parent may go too.
    fn release_if_unused(self: &Arc<Node>) {
        let mut node = self.clone();
        loop {
            let key = {
                let mut state = lock(&node.state);
                if state.tokens > 0 || !state.children.is_empty() {
                    return;
                }
                state.key.take()
            };
            let (Some(key), Some(parent)) = (key, node.parent.clone()) else { return };
            // The parent may have been cancelled meanwhile, taking its children (and this key) away.
            lock(&parent.state).children.try_remove(key);
            node = parent;
        }
    }
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> CancellationToken {
        CancellationToken { node: Node::new(None, false) }
    }

    /// A token cancelled whenever this one is (or, if this one is cancelled already, cancelled from the
    /// start). Cancelling the child does not cancel this one.
    pub fn child_token(&self) -> CancellationToken {
        let mut state = lock(&self.node.state);
        if state.cancelled {
            return CancellationToken { node: Node::new(None, true) };
        }
        let child = Node::new(Some(self.node.clone()), false);
        let key = state.children.insert(child.clone());
        // The child is not shared yet: nobody else can lock it.
        lock(&child.state).key = Some(key);
        CancellationToken { node: child }
    }

    /// Cancels this token and every child token, down the tree, and completes every operation waiting in
    /// [`cancelled`](CancellationToken::cancelled). Cancelling twice does nothing more.
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether this token is cancelled (by [`cancel`](CancellationToken::cancel) on it, a clone or an
    /// ancestor).
    pub fn is_cancelled(&self) -> bool {
        lock(&self.node.state).cancelled
    }

    /// Waits until the token is cancelled (completes at once if it is).
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled { token: self, key: None }
    }

    /// A guard that cancels this token when dropped (unless [disarmed](DropGuard::disarm)): ties the token
    /// to a scope, so that leaving it, by an error or a panic too, stops the tasks it watches.
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    fn clone(&self) -> Self {
        lock(&self.node.state).tokens += 1;
        CancellationToken { node: self.node.clone() }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        lock(&self.node.state).tokens -= 1;
        self.node.release_if_unused();
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken").field("is_cancelled", &self.is_cancelled()).finish()
    }
}

/// The operation returned by [`CancellationToken::cancelled`].
#[must_use = "cancelled does nothing unless awaited"]
pub struct Cancelled<'a> {
    token: &'a CancellationToken,
    /// The waiter's slot, once queued.
    key: Option<usize>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut state = lock(&self.token.node.state);
        let res = match self.key {
            None if state.cancelled => Poll::Ready(()),
            None => {
                let key = state.waiters.push_back((), cx.waker());
                drop(state);
                self.key = Some(key);
                return Poll::Pending;
            }
            Some(key) => state.waiters.poll_waiter(key, cx.waker()),
        };
        drop(state);
        if res.is_ready() {
            self.key = None;
            coop.made_progress();
        }
        res
    }
}

impl Suspend for Cancelled<'_> {}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock(&self.token.node.state).waiters.remove(key);
        }
    }
}

impl fmt::Debug for Cancelled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled").field("token", &self.token).finish()
    }
}

/// Cancels its token when dropped; from [`CancellationToken::drop_guard`].
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token.take().expect("a guard holds its token until dropped or disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard").field("token", &self.token).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn registered(token: &CancellationToken) -> usize {
        lock(&token.node.state).children.len()
    }

    #[test]
    fn dropped_children_leave_their_parent() {
        let root = CancellationToken::new();
        for _ in 0..100 {
            let child = root.child_token();
            let grandchild = child.child_token();
            drop(child); // still registered: its child lives
            assert_eq!(registered(&root), 1);
            drop(grandchild);
            assert_eq!(registered(&root), 0);
        }
        let kept = root.child_token();
        root.cancel();
        assert!(kept.is_cancelled());
        assert_eq!(registered(&root), 0);
        assert!(root.child_token().is_cancelled());
    }

    #[test]
    fn a_cancelled_child_leaves_its_parent_running() {
        let root = CancellationToken::new();
        let child = root.child_token();
        child.cancel();
        assert!(child.is_cancelled() && !root.is_cancelled());
        let guard = root.clone().drop_guard();
        let root_again = guard.disarm();
        assert!(!root_again.is_cancelled());
        drop(root.clone().drop_guard());
        assert!(root.is_cancelled());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{block_on, thread};

    /// A waiter on a grandchild races the root's cancellation: it is woken (a lost wake-up deadlocks the
    /// model), and the tree is cancelled all the way down.
    #[test]
    fn loom_cancel_reaches_a_waiting_grandchild() {
        loom::model(|| {
            let root = CancellationToken::new();
            let leaf = root.child_token().child_token();
            let t = thread::spawn(move || {
                block_on(leaf.cancelled());
                assert!(leaf.is_cancelled());
            });
            root.cancel();
            t.join().unwrap();
        });
    }

    /// A child dropped while its parent is cancelled: it leaves the parent exactly once, whichever comes
    /// first, and a later child of the cancelled parent starts cancelled.
    #[test]
    fn loom_child_dropped_while_parent_cancels() {
        loom::model(|| {
            let root = CancellationToken::new();
            let child = root.child_token();
            let t = thread::spawn(move || drop(child));
            root.cancel();
            t.join().unwrap();
            assert!(lock(&root.node.state).children.is_empty());
            assert!(root.child_token().is_cancelled());
        });
    }
}
