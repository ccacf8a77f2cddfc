//! Raw wakers over the task pointer: clone, wake and drop touch only the state word, never the allocator.

use super::raw::Header;
use super::state::ToNotified;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// Builds a waker that owns one reference of the task (the caller's).
///
/// # Safety
/// `ptr` is a live task and the caller transfers one reference to the waker (or wraps it in `ManuallyDrop`
/// and keeps a reference alive for as long as the waker is borrowed).
pub(crate) unsafe fn from_header(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for a task pointer with a reference.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE)) }
}

/// # Safety
/// `data` is the header pointer of a waker that owns a reference.
unsafe fn header<'a>(data: *const ()) -> (NonNull<Header>, &'a Header) {
    // SAFETY: wakers are only built by `from_header` from a non-null, live task pointer.
    let ptr = unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) };
    // SAFETY: the waker's reference keeps the task alive.
    (ptr, unsafe { ptr.as_ref() })
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` comes from a live waker.
    let (_, header) = unsafe { header(data) };
    header.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` comes from a live waker, whose reference this consumes.
    let (ptr, header) = unsafe { header(data) };
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference became the `Runnable`'s.
        ToNotified::Submit => unsafe { (header.vtable.schedule)(ptr) },
        // SAFETY: the waker's reference was the last.
        ToNotified::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
        ToNotified::DoNothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` comes from a live waker.
    let (ptr, header) = unsafe { header(data) };
    if header.state.transition_to_notified_by_ref() == ToNotified::Submit {
        // SAFETY: the transition counted a new reference for the `Runnable`.
        unsafe { (header.vtable.schedule)(ptr) };
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` comes from a live waker, whose reference this drops.
    let (ptr, header) = unsafe { header(data) };
    if header.state.ref_dec() {
        // SAFETY: it was the last reference.
        unsafe { (header.vtable.dealloc)(ptr) };
    }
}
