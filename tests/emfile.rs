//! Accept under file-descriptor exhaustion: an error, never a panic, and the server recovers once
//! descriptors are free again, accepting the connections that waited in the backlog meanwhile.
//!
//! A test binary of its own with a single test: it lowers the process's open-file limit.

use coro::net::{TcpListener, TcpStream};
use std::io::{self, Read, Write};

/// Sets the soft limit on open files; returns the previous one.
fn set_open_file_limit(soft: libc::rlim_t) -> libc::rlim_t {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the `rlimit` we own; no other memory is touched.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let previous = limit.rlim_cur;
        limit.rlim_cur = soft;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        previous
    }
}

/// The lowest descriptor number not in use: new descriptors take the lowest free number, so a limit of
/// this lets nothing new be opened.
fn lowest_free_descriptor() -> libc::rlim_t {
    let open: Vec<libc::rlim_t> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The directory listing itself held a descriptor, closed by now: that number counts as free.
    (0..)
        .find(|fd| !open.contains(fd) || !std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists())
        .unwrap()
}

#[coro::test(workers = 1)]
fn accept_reports_emfile_and_recovers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Blocking std clients: their connections complete in the kernel and wait in the backlog.
    let mut clients: Vec<std::net::TcpStream> =
        (0..3).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();

    let previous = set_open_file_limit(lowest_free_descriptor());
    let starved = listener.accept().map(|_| ()).unwrap_err();
    assert_eq!(starved.raw_os_error(), Some(libc::EMFILE), "{starved:?}");
    // Still starved: the listener reports it again (after its back-off pause), without losing anything.
    let again = listener.accept().map(|_| ()).unwrap_err();
    assert_eq!(again.raw_os_error(), Some(libc::EMFILE));
    set_open_file_limit(previous);

    // Every connection that waited is accepted and served.
    for client in &mut clients {
        let (mut served, _) = listener.accept().unwrap();
        client.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        served.read_exact(&mut buf).unwrap();
        served.write_all(&buf).unwrap();
        let mut echoed = [0u8; 4];
        Read::read_exact(client, &mut echoed).unwrap();
        assert_eq!(&echoed, b"ping");
    }
    let fresh: io::Result<TcpStream> = TcpStream::connect(addr);
    assert!(fresh.is_ok());
}
