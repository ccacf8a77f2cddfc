//! What only the crate can see: every socket type gives its reactor registration back when dropped.

use super::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use crate::reactor::Driver;
use crate::runtime::Runtime;

#[test]
fn dropped_sockets_free_their_registrations() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    runtime.block_on(async {
        let driver = Driver::current().unwrap();
        let before = driver.registrations();
        {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (unix_a, unix_b) = UnixStream::pair().unwrap();
            let (dgram_a, dgram_b) = UnixDatagram::pair().unwrap();
            let (read, write) = client.into_split();
            assert_eq!(driver.registrations(), before + 8);
            drop((listener, server, udp, unix_a, unix_b, dgram_a, dgram_b, read));
            assert_eq!(driver.registrations(), before + 1, "a split stream lives while one half does");
            drop(write);
        }
        assert_eq!(driver.registrations(), before);
        let path = std::env::temp_dir().join(format!("coro-net-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        drop(UnixListener::bind(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(driver.registrations(), before);
    });
}
