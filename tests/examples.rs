//! The example programs, judged by real clients: curl and wrk against `http`, redis-cli and redis-benchmark
//! against `redis`, nc against `chat`, curl through `proxy`, curl and `hyper_client` against `hyper`, and
//! `quicksort`'s output.
//!
//! The examples are built once (`cargo build --example ...` with this test's profile and target directory;
//! cargo reports where each binary is), started on `127.0.0.1:0`, and asked where they listen: each prints
//! `... listening on ADDR` first, so there is no port to guess and no race. A guard kills each server when
//! its test ends. The clients are required: a missing one fails the test with a message saying what to
//! install (`.ci/run` installs them). Every client runs under `timeout`, every socket has a read timeout, and
//! every load run is bounded (`-d1s`, `-n 2000`), so a broken server fails a test instead of hanging it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

#[allow(dead_code, reason = "the tests use the parser, not every item the server uses")]
#[path = "../examples/http/date.rs"]
mod http_date;
#[path = "../examples/http/parse.rs"]
mod http_parse;
#[allow(dead_code, reason = "the tests use the client configuration, the examples the rest")]
#[path = "../examples/tls/config.rs"]
mod tls_config;

const EXAMPLES: [&str; 9] =
    ["http", "redis", "chat", "proxy", "quicksort", "hyper", "hyper_client", "https", "tls_echo"];

/// The example binaries, built once for the whole file: name to path.
fn examples() -> &'static HashMap<String, PathBuf> {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        // This test runs from `TARGET/PROFILE/deps/`; build the examples with the same profile there.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir =
            exe.parent().and_then(|deps| deps.parent()).expect("TARGET/PROFILE/deps/examples-*");
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("unexpected test binary location {exe:?}"),
        };
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--message-format=json-render-diagnostics", "--profile", profile])
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env("CARGO_TARGET_DIR", profile_dir.parent().expect("TARGET"))
            .stdout(Stdio::piped());
        for name in EXAMPLES {
            cargo.args(["--example", name]);
        }
        let output = cargo.output().expect("running cargo");
        assert!(output.status.success(), "building the examples failed (cargo's messages are above)");
        let mut built = HashMap::new();
        for line in output.stdout.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
            let message: serde_json::Value = serde_json::from_slice(line).expect("cargo's JSON messages");
            if let (Some(name), Some(path)) =
                (message["target"]["name"].as_str(), message["executable"].as_str())
            {
                built.insert(name.to_string(), PathBuf::from(path));
            }
        }
        for name in EXAMPLES {
            assert!(built.contains_key(name), "cargo did not report the `{name}` example's binary");
        }
        built
    })
}

/// A child process, ended on drop with SIGTERM: `timeout`, which runs the clients, passes it on to the
/// client (a SIGKILL would leave the client running, orphaned).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.0.id()) {
            // SAFETY: kill(2) takes plain integers and touches no memory of ours; the pid is our child's,
            // which has not been waited for yet, so it cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.0.wait();
    }
}

/// A running example server, killed on drop.
struct Server {
    _process: Process,
    addr: String,
    /// The line that said where it listens (some say more: `https` names its certificate).
    first_line: String,
    /// Kept open: a server printing to a closed pipe would fail.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `example` with `args` (the listen address `127.0.0.1:0` first) on 2 workers, and waits for its
    /// `listening on ADDR` line.
    fn start(example: &str, args: &[&str]) -> Server {
        let mut child = Command::new(&examples()[example])
            .args(args)
            .env("CORO_WORKERS", "2")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("starting the {example} example: {err}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        // The guard first, so the child is killed whatever happens next.
        let process = Process(child);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reading the server's first line");
        let addr = line.split("listening on ").nth(1).and_then(|rest| rest.split([',', '\n']).next());
        let addr =
            addr.unwrap_or_else(|| panic!("{example} did not say where it listens: {line:?}")).to_string();
        Server { _process: process, addr, first_line: line, _stdout: stdout }
    }

    fn port(&self) -> &str {
        self.addr.rsplit(':').next().expect("HOST:PORT")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A client program, bounded by `timeout`; fails with an install hint if it is missing.
fn tool(name: &str) -> Command {
    for program in ["timeout", name] {
        let found = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
        assert!(
            found,
            "`{program}` is not installed: these tests drive the examples with real clients; install them with \
             `apt-get install wrk curl redis-tools netcat-openbsd` (.ci/run does)"
        );
    }
    let mut command = Command::new("timeout");
    command.args(["30", name]);
    command
}

/// Runs `command` to completion; its stdout, after checking that it succeeded.
fn run(command: &mut Command) -> String {
    let output = command.stderr(Stdio::inherit()).output().expect("running a client");
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A plain TCP client with a read timeout, so a server that does not answer fails the test.
fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connecting to the example");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Sends `request` on a new connection and reads until the server closes it.
fn send_and_read_to_end(addr: &str, request: &[u8]) -> String {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("the server closes the connection");
    String::from_utf8_lossy(&response).into_owned()
}

/// Reads exactly `expected.len()` bytes and checks them.
fn expect_reply(stream: &mut TcpStream, expected: &str) {
    let mut reply = vec![0; expected.len()];
    stream.read_exact(&mut reply).expect("a reply");
    assert_eq!(String::from_utf8_lossy(&reply), expected);
}

// ---- http ----------------------------------------------------------------------------------------------

#[test]
fn http_answers_curl_on_one_kept_alive_connection() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let output = tool("curl")
        .args(["-sv", "--max-time", "10", "-i"])
        .args([http.url("/plaintext"), http.url("/json")])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    let (stdout, stderr) =
        (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert_eq!(stderr.matches("Connected to").count(), 1, "curl connected more than once:\n{stderr}");

    let responses: Vec<&str> = stdout.split("HTTP/1.1 ").skip(1).collect();
    assert_eq!(responses.len(), 2, "{stdout}");
    for (response, content_type, body) in [
        (responses[0], "text/plain", "Hello, World!"),
        (responses[1], "application/json", r#"{"message":"Hello, World!"}"#),
    ] {
        let (head, got_body) = response.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("200 OK\r\n"), "{head}");
        assert!(head.contains("\r\nServer: coro\r\n"), "{head}");
        assert!(head.contains(&format!("\r\nContent-Type: {content_type}\r\n")), "{head}");
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())), "{head}");
        let date = head.split("\r\nDate: ").nth(1).and_then(|rest| rest.split("\r\n").next()).expect("Date");
        assert_eq!(date.len(), 29, "an IMF-fixdate: {date:?}");
        assert!(date.ends_with(" GMT"), "{date:?}");
        assert_eq!(got_body, body);
    }

    let status =
        |path: &str| run(tool("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &http.url(path)]));
    assert_eq!(status("/nope"), "404");
    assert_eq!(status("/plaintext?query=1"), "200");
    let head = run(tool("curl").args(["-sI", &http.url("/json")]));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Content-Length: 27\r\n"), "{head}");
    let post = run(tool("curl").args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-d",
        "x=1",
        &http.url("/json"),
    ]));
    assert_eq!(post, "405");
}

#[test]
fn http_pipelines_and_honours_http_1_0_and_connection_close() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    // Three pipelined requests in one write, the last asking to close: three responses, then the end.
    let pipelined = "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /json HTTP/1.1\r\nHost: a\r\n\r\n\
                     GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let responses = send_and_read_to_end(&http.addr, pipelined.as_bytes());
    assert_eq!(responses.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{responses}");
    assert!(responses.ends_with("Connection: close\r\n\r\nHello, World!"), "{responses}");

    // HTTP/1.0 closes by default...
    let response = send_and_read_to_end(&http.addr, b"GET /json HTTP/1.0\r\n\r\n");
    assert!(response.contains("Connection: close\r\n"), "{response}");
    // ...and stays open with keep-alive; a request body is skipped.
    let mut stream = connect(&http.addr);
    stream
        .write_all(b"POST /nope HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let head = read_head(&mut reader);
    assert!(head.starts_with("HTTP/1.1 405") && head.contains("Connection: keep-alive\r\n"), "{head}");
    let mut body = vec![0; content_length(&head)];
    reader.read_exact(&mut body).unwrap();
    stream.write_all(b"GET /plaintext HTTP/1.0\r\n\r\n").unwrap();
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("HTTP/1.1 200 OK\r\n") && rest.ends_with("\r\n\r\nHello, World!"), "{rest}");
}

fn read_head(reader: &mut impl BufRead) -> String {
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        assert_ne!(reader.read_line(&mut head).unwrap(), 0, "the connection closed mid-head: {head}");
    }
    head
}

fn content_length(head: &str) -> usize {
    let value = head.split("Content-Length: ").nth(1).and_then(|rest| rest.split("\r\n").next());
    value.and_then(|value| value.parse().ok()).expect("Content-Length")
}

#[test]
fn http_refuses_bad_requests_and_closes() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let many_headers: String = (0..100).map(|i| format!("X-{i}: y\r\n")).collect();
    let huge_header = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "y".repeat(64 * 1024));
    let cases = [
        ("GARBAGE\r\n\r\n".to_string(), "400 Bad Request"),
        ("GET /plaintext HTTP/1.1\r\n\r\n".to_string(), "400 Bad Request"), // no Host
        ("GET /plaintext HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n".to_string(), "400 Bad Request"),
        ("GET /plaintext HTTP/1.1\r\nHost : a\r\n\r\n".to_string(), "400 Bad Request"),
        ("GET /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n".to_string(), "400 Bad Request"),
        ("GET /plaintext HTTP/2.0\r\nHost: a\r\n\r\n".to_string(), "505 HTTP Version Not Supported"),
        (
            "POST /json HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
            "501 Not Implemented",
        ),
        (format!("GET / HTTP/1.1\r\nHost: a\r\n{many_headers}\r\n"), "431 Request Header Fields Too Large"),
        (huge_header, "431 Request Header Fields Too Large"),
    ];
    for (request, status) in cases {
        let response = send_and_read_to_end(&http.addr, request.as_bytes());
        assert!(response.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{request:.60?} got {response}");
        assert!(response.contains("\r\nConnection: close\r\n"), "{response}");
    }
    // The responses before a bad request in the same batch are sent first.
    let response = send_and_read_to_end(&http.addr, b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n\x00\x01\r\n\r\n");
    let statuses: Vec<_> =
        response.match_indices("HTTP/1.1 ").map(|(i, _)| &response[i + 9..i + 12]).collect();
    assert_eq!(statuses, ["200", "400"], "{response}");
    // And the server is still there.
    assert_eq!(run(tool("curl").args(["-s", &http.url("/plaintext")])), "Hello, World!");
}

/// Whatever arrives, the parser answers (a request, "more bytes", or a refusal), and never panics.
#[test]
fn http_parser_takes_any_input() {
    let valid = b"GET /plaintext?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive, Upgrade\r\n\
                  Content-Length: 3\r\n\r\nabc";
    let head_len = valid.len() - 3;
    let (request, used) = http_parse::parse(valid).unwrap().unwrap();
    assert_eq!(used, head_len);
    assert_eq!(
        request,
        http_parse::Request {
            method: b"GET",
            target: b"/plaintext?x=1",
            minor_version: 1,
            keep_alive: true,
            content_length: 3,
        }
    );
    // Every strict prefix of the head needs more bytes.
    for end in 0..head_len {
        assert_eq!(http_parse::parse(&valid[..end]), Ok(None), "prefix of {end} bytes");
    }
    // Pseudo-random bytes, and valid heads with one byte changed: no panic, and a complete answer is sane.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..20_000 {
        let mut input = valid.to_vec();
        if round % 2 == 0 {
            let at = next() as usize % input.len();
            input[at] = next() as u8;
        } else {
            input =
                (0..next() % 64).map(|_| b"GET /\r\n: HTTP/1.0Host\x00\xff "[next() as usize % 24]).collect();
        }
        if let Ok(Some((request, used))) = http_parse::parse(&input) {
            assert!(used <= input.len() && !request.method.is_empty() && request.minor_version <= 1);
        }
    }
    let closing = http_parse::parse(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    assert!(!closing.unwrap().0.keep_alive);
    let too_many: String = (0..=http_parse::MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
    let request = format!("GET / HTTP/1.1\r\n{too_many}\r\n");
    assert_eq!(http_parse::parse(request.as_bytes()), Err(http_parse::Error::HeadersTooLarge));
    assert_eq!(http_parse::parse(b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"), Err(http_parse::Error::BadRequest));
}

#[test]
fn http_dates_are_imf_fixdates() {
    // RFC 9110's own example, and the ends of a leap day and of a century.
    assert_eq!(&http_date::format(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(&http_date::format(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(&http_date::format(951_868_799), b"Tue, 29 Feb 2000 23:59:59 GMT");
    assert_eq!(&http_date::format(4_133_980_799), b"Fri, 31 Dec 2100 23:59:59 GMT");
}

/// wrk's summary: the number of requests, after checking there were no socket errors and no non-2xx.
fn wrk(args: &[&str]) -> u64 {
    let output = run(tool("wrk").args(args));
    assert!(!output.contains("Socket errors"), "{output}");
    assert!(!output.contains("Non-2xx"), "{output}");
    let requests =
        output.lines().find_map(|line| line.trim().split_once(" requests in ").map(|(n, _)| n.parse().ok()));
    let requests: u64 =
        requests.flatten().unwrap_or_else(|| panic!("no request count in wrk's output:\n{output}"));
    assert!(requests > 0, "{output}");
    requests
}

#[test]
fn http_serves_wrk_without_errors_pipelined_or_not() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    wrk(&["-t1", "-c16", "-d1s", &http.url("/json")]);
    let script = std::env::temp_dir().join(format!("coro-examples-pipeline-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        "init = function(args)\n  local r = {}\n  for i = 1, 16 do r[i] = wrk.format(nil, \"/plaintext\") end\n  \
         req = table.concat(r)\nend\nrequest = function() return req end\n",
    )
    .unwrap();
    let requests = wrk(&["-t1", "-c16", "-d1s", "-s", script.to_str().unwrap(), &http.url("/plaintext")]);
    std::fs::remove_file(&script).unwrap();
    assert!(requests >= 16, "{requests}");
}

// ---- redis ---------------------------------------------------------------------------------------------

/// `redis-cli -p PORT args...`: its output without the final newlines (errors print as `ERR ...`, nil as an
/// empty line, arrays one element per line).
fn cli(redis: &Server, args: &[&str]) -> String {
    run(tool("redis-cli").args(["-p", redis.port()]).args(args)).trim_end_matches('\n').to_string()
}

#[test]
fn redis_cli_round_trips_every_command() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let cli = |args: &str| cli(&redis, &args.split(' ').collect::<Vec<_>>());
    assert_eq!(cli("PING"), "PONG");
    assert_eq!(cli("ping hi"), "hi");
    assert_eq!(run(tool("redis-cli").args(["-p", redis.port(), "ECHO", "hello world"])), "hello world\n");
    assert_eq!(cli("SET k v"), "OK");
    assert_eq!(cli("GET k"), "v");
    assert_eq!(cli("GET missing"), "");
    // NX and XX.
    assert_eq!(cli("SET k w NX"), "");
    assert_eq!(cli("SET fresh w XX"), "");
    assert_eq!(cli("SET fresh w NX"), "OK");
    assert_eq!(cli("SET fresh x XX"), "OK");
    assert_eq!(cli("GET fresh"), "x");
    assert_eq!(cli("SET k v NX XX"), "ERR syntax error");
    // EX and PX set a TTL, a plain SET clears it, KEEPTTL keeps it.
    assert_eq!(cli("SET ex v EX 100"), "OK");
    assert_eq!(cli("TTL ex"), "100");
    assert_eq!(cli("SET px v PX 100000"), "OK");
    assert_eq!(cli("TTL px"), "100");
    assert_eq!(cli("SET px v2 KEEPTTL"), "OK");
    assert_eq!(cli("TTL px"), "100");
    assert_eq!(cli("SET px v3"), "OK");
    assert_eq!(cli("TTL px"), "-1");
    assert_eq!(cli("SET bad v EX 0"), "ERR invalid expire time in 'set' command");
    assert_eq!(cli("SET bad v EX soon"), "ERR value is not an integer or out of range");
    // An expired key is gone (lazily, on access). The sleep is the time the key needs to expire, not a
    // guess at scheduling: the clock is monotonic, so after it the key has expired.
    assert_eq!(cli("SET short v PX 1"), "OK");
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(cli("GET short"), "");
    assert_eq!(cli("TTL short"), "-2");
    // DEL and EXISTS count.
    assert_eq!(cli("EXISTS k fresh k missing"), "3");
    assert_eq!(cli("DEL k fresh missing"), "2");
    assert_eq!(cli("EXISTS k fresh"), "0");
    // INCR and DECR.
    assert_eq!(cli("INCR counter"), "1");
    assert_eq!(cli("INCR counter"), "2");
    assert_eq!(cli("DECR counter"), "1");
    assert_eq!(cli("DECR below"), "-1");
    assert_eq!(cli("INCR ex"), "ERR value is not an integer or out of range");
    assert_eq!(cli("SET max 9223372036854775807"), "OK");
    assert_eq!(cli("INCR max"), "ERR increment or decrement would overflow");
    // MSET and MGET.
    assert_eq!(cli("MSET a 1 b 2"), "OK");
    assert_eq!(cli("MGET a missing b"), "1\n\n2");
    assert_eq!(cli("MSET a 1 b"), "ERR wrong number of arguments for 'mset' command");
    // EXPIRE and TTL.
    assert_eq!(cli("EXPIRE a 50"), "1");
    assert_eq!(cli("TTL a"), "50");
    assert_eq!(cli("EXPIRE missing 50"), "0");
    assert_eq!(cli("TTL b"), "-1");
    assert_eq!(cli("EXPIRE b -1"), "1");
    assert_eq!(cli("GET b"), "");
    // Errors.
    assert_eq!(cli("GET"), "ERR wrong number of arguments for 'get' command");
    assert!(cli("NOSUCH x").starts_with("ERR unknown command 'NOSUCH', with args beginning with: 'x'"));
    // What clients ask on connecting.
    assert_eq!(cli("CONFIG GET save"), "save");
    assert_eq!(cli("CONFIG GET appendonly"), "appendonly\nno");
    assert_eq!(cli("SELECT 0"), "OK");
}

#[test]
fn redis_answers_bad_input_with_errors_and_keeps_serving() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    // Command errors keep the connection; pipelined commands get their replies in order; inline commands
    // (what nc users type) work, quoting included.
    let mut stream = connect(&redis.addr);
    stream.write_all(b"*1\r\n$6\r\nNOSUCH\r\n").unwrap();
    stream.write_all(b"*2\r\n$3\r\nGET\r\n").unwrap();
    stream.write_all(b"$1\r\nx\r\nSET q \"a b\\x21\\n\"\r\nGET q\r\nINCR q\r\nPING\r\n").unwrap();
    expect_reply(&mut stream, "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect_reply(
        &mut stream,
        "$-1\r\n+OK\r\n$5\r\na b!\n\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n",
    );

    // Protocol errors get an error reply, then the connection closes (as Redis does: the stream cannot be
    // resynchronized).
    for (input, error) in [
        (&b"SET k \"unbalanced\r\n"[..], "unbalanced quotes in request"),
        (b"*2\r\nGET\r\n", "expected '$'"),
        (b"*x\r\n", "invalid multibulk length"),
        (b"*1\r\n$-5\r\n", "invalid bulk length"),
        (b"*1\r\n$2\r\nabcd\r\n", "expected CRLF after a bulk string"),
    ] {
        let reply = send_and_read_to_end(&redis.addr, input);
        assert_eq!(reply, format!("-ERR Protocol error: {error}\r\n"), "{}", String::from_utf8_lossy(input));
    }
    assert_eq!(send_and_read_to_end(&redis.addr, b"PING\r\nQUIT\r\nPING\r\n"), "+PONG\r\n+OK\r\n");
    // Other connections never noticed.
    assert_eq!(cli(&redis, &["GET", "q"]), "a b!");
}

#[test]
fn redis_benchmark_runs_and_leaves_correct_data() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    for pipeline in ["1", "16"] {
        let output = run(tool("redis-benchmark")
            .args(["-p", redis.port(), "-t", "get,set", "-n", "2000", "-q"])
            .args(["-P", pipeline]));
        for test in ["SET: ", "GET: "] {
            assert!(output.contains(test) && output.contains("requests per second"), "{output}");
        }
        // The benchmark's SETs wrote 3-byte values to this key, and the store still works.
        assert_eq!(cli(&redis, &["GET", "key:__rand_int__"]).len(), 3);
        assert_eq!(cli(&redis, &["SET", "after", pipeline]), "OK");
        assert_eq!(cli(&redis, &["GET", "after"]), pipeline);
    }
}

/// A client program with piped stdin and stdout, killed on drop; reads its output line by line.
struct Interactive {
    _process: Process,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Interactive {
    fn start(command: &mut Command) -> Interactive {
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("starting a client");
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        Interactive { _process: Process(child), stdin, stdout: BufReader::new(stdout) }
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        assert_ne!(self.stdout.read_line(&mut line).unwrap(), 0, "the client's output ended");
        line.trim_end_matches('\n').to_string()
    }
}

#[test]
fn redis_publishes_to_subscribers() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    // redis-cli in subscribed mode prints each reply element on a line of its own.
    let mut subscriber =
        Interactive::start(tool("redis-cli").args(["-p", redis.port(), "SUBSCRIBE", "news", "sport"]));
    for expected in ["subscribe", "news", "1", "subscribe", "sport", "2"] {
        assert_eq!(subscriber.read_line(), expected);
    }
    // The confirmations came after the subscriptions were registered: publishing now reaches it.
    assert_eq!(cli(&redis, &["PUBLISH", "news", "hello subscribers"]), "1");
    assert_eq!(cli(&redis, &["PUBLISH", "weather", "nobody listens"]), "0");
    assert_eq!(cli(&redis, &["PUBLISH", "sport", "goal"]), "1");
    for expected in ["message", "news", "hello subscribers", "message", "sport", "goal"] {
        assert_eq!(subscriber.read_line(), expected);
    }

    // In subscribed mode only (UN)SUBSCRIBE, PING and QUIT run; after unsubscribing from all, everything.
    let mut stream = connect(&redis.addr);
    stream
        .write_all(b"SUBSCRIBE a\r\nGET x\r\nPING\r\nUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nSET x 1\r\nGET x\r\n")
        .unwrap();
    expect_reply(&mut stream, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    expect_reply(
        &mut stream,
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed \
         in this context\r\n",
    );
    expect_reply(&mut stream, "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    expect_reply(&mut stream, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
    expect_reply(&mut stream, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    expect_reply(&mut stream, "+OK\r\n$1\r\n1\r\n");
    // The connection that left is no longer counted.
    drop(stream);
    drop(subscriber);
    let mut stream = connect(&redis.addr);
    stream.write_all(b"SUBSCRIBE news\r\n").unwrap();
    expect_reply(&mut stream, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    stream.write_all(b"QUIT\r\n").unwrap();
    expect_reply(&mut stream, "+OK\r\n");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

// ---- chat ----------------------------------------------------------------------------------------------

/// Reads lines until one ends with `suffix`, skipping the others (join and leave notices).
fn read_until_suffix(mut read_line: impl FnMut() -> String, suffix: &str) -> String {
    loop {
        let line = read_line();
        if line.ends_with(suffix) {
            return line;
        }
        assert!(line.starts_with("*** "), "unexpected line {line:?} while waiting for {suffix:?}");
    }
}

/// Reads lines (without their line ending) from a clone of `stream`.
fn lines_of(stream: &TcpStream) -> impl FnMut() -> String + use<> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    move || {
        let mut line = String::new();
        assert_ne!(reader.read_line(&mut line).unwrap(), 0, "the connection closed");
        line.trim_end().to_string()
    }
}

#[test]
fn chat_clients_see_each_others_lines() {
    let chat = Server::start("chat", &["127.0.0.1:0"]);
    // Each client is greeted once the hub has registered it: lines sent after that reach it.
    let mut alice = connect(&chat.addr);
    let mut alice_line = lines_of(&alice);
    let welcome = alice_line();
    assert!(welcome.starts_with("*** welcome, 127.0.0.1:") && welcome.ends_with("; 1 here"), "{welcome:?}");
    let alice_name = welcome["*** welcome, ".len()..welcome.find(';').unwrap()].to_string();

    let (host, port) = chat.addr.rsplit_once(':').unwrap();
    let mut nc = Interactive::start(tool("nc").args([host, port]));
    let welcome = nc.read_line();
    assert!(welcome.starts_with("*** welcome, ") && welcome.ends_with("; 2 here"), "{welcome:?}");

    let carol = connect(&chat.addr);
    let mut carol_line = lines_of(&carol);
    assert!(read_until_suffix(&mut carol_line, " here").ends_with("; 3 here"));

    alice.write_all(b"hello from alice\r\n").unwrap();
    let heard = read_until_suffix(|| nc.read_line(), ": hello from alice");
    assert_eq!(heard, format!("{alice_name}: hello from alice"));
    read_until_suffix(&mut carol_line, ": hello from alice");

    // Nobody hears their own line: alice's next line is nc's (an echo would fail `read_until_suffix`).
    nc.stdin.write_all(b"hello from nc\n").unwrap();
    read_until_suffix(&mut alice_line, ": hello from nc");
    read_until_suffix(&mut carol_line, ": hello from nc");

    // A client that leaves is announced to the others.
    drop((carol, carol_line));
    read_until_suffix(&mut alice_line, " left");
    read_until_suffix(|| nc.read_line(), " left");
}

// ---- proxy ---------------------------------------------------------------------------------------------

#[test]
fn curl_reaches_http_through_the_proxy_and_half_closes_pass_through() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let proxy = Server::start("proxy", &["127.0.0.1:0", &http.addr]);
    let both =
        run(tool("curl").args(["-s", "--max-time", "10", &proxy.url("/plaintext"), &proxy.url("/json")]));
    assert_eq!(both, r#"Hello, World!{"message":"Hello, World!"}"#);

    // A kept-alive HTTP/1.1 request, then the client shuts its sending side down: the http server only
    // closes once it reads that end of stream, which the proxy must pass on; the server's close must come
    // back the same way for `read_to_end` to return.
    let mut stream = connect(&proxy.addr);
    stream.write_all(b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("the end of the stream, passed back through the proxy");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with(r#"{"message":"Hello, World!"}"#), "{response}");
}

// ---- hyper ---------------------------------------------------------------------------------------------

#[test]
fn hyper_answers_curl_and_hyper_client() {
    let server = Server::start("hyper", &["127.0.0.1:0"]);
    let both =
        run(tool("curl").args(["-s", "--max-time", "10", &server.url("/plaintext"), &server.url("/json")]));
    assert_eq!(both, r#"Hello, World!{"message":"Hello, World!"}"#);
    let lines = run(tool("curl").args(["-s", "--max-time", "10", &server.url("/stream")]));
    let expected: String = (0..100).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(lines, expected);
    let echo =
        run(tool("curl").args(["-s", "--max-time", "10", "--data-binary", "posted", &server.url("/echo")]));
    assert_eq!(echo, "posted");

    let client = run(Command::new(&examples()["hyper_client"]).arg(&server.addr));
    for line in [
        "GET /plaintext: 200 OK, 13 bytes: Hello, World!",
        r#"GET /json: 200 OK, 27 bytes: {"message":"Hello, World!"}"#,
        "GET /stream: 200 OK, 890 bytes: ...",
        "POST /echo: 200 OK, 9 bytes: echo this",
    ] {
        assert!(client.lines().any(|got| got == line), "no {line:?} in:\n{client}");
    }
}

// ---- https, tls_echo ----------------------------------------------------------------------------------

/// The certificate file a TLS example generated (its `..., certificate: PATH` line), removed on drop.
struct Certificate(String);

impl Certificate {
    fn of(server: &Server) -> Certificate {
        let path = server.first_line.split("certificate: ").nth(1).map(str::trim);
        Certificate(
            path.unwrap_or_else(|| panic!("no certificate path in {:?}", server.first_line)).to_string(),
        )
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0); // a temporary file: nothing to do if it is gone already
    }
}

#[test]
fn https_answers_curl_that_trusts_its_certificate_only() {
    let https = Server::start("https", &["127.0.0.1:0"]);
    let cert = Certificate::of(&https);
    let cert = &cert.0;
    let port = https.port();
    let both = run(tool("curl")
        .args(["-s", "--max-time", "10", "--cacert", cert])
        .args([format!("https://localhost:{port}/plaintext"), format!("https://127.0.0.1:{port}/json")]));
    assert_eq!(both, r#"Hello, World!{"message":"Hello, World!"}"#);
    // Without the certificate curl refuses the server (60: peer certificate cannot be authenticated), and
    // plain HTTP gets no answer; the server goes on serving.
    let untrusted =
        tool("curl").args(["-s", "--max-time", "10", &format!("https://localhost:{port}/")]).output();
    assert_eq!(untrusted.unwrap().status.code(), Some(60));
    let plain = tool("curl").args(["-s", "--max-time", "10", &https.url("/plaintext")]).output().unwrap();
    assert!(!plain.status.success());
    let echo = run(tool("curl")
        .args(["-s", "--max-time", "10", "--cacert", cert, "--data-binary", "over tls"])
        .arg(format!("https://localhost:{port}/echo")));
    assert_eq!(echo, "over tls");
}

#[test]
fn tls_echo_echoes_to_a_rustls_client() {
    use coro::tls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    use coro::tls::rustls::{ClientConnection, StreamOwned};
    let echo = Server::start("tls_echo", &["127.0.0.1:0"]);
    let cert = CertificateDer::from_pem_file(&Certificate::of(&echo).0).expect("the certificate's PEM");
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(tls_config::client(cert), name).unwrap();
    let mut tls = StreamOwned::new(conn, connect(&echo.addr));
    for line in ["hello\n", "over TLS\n"] {
        tls.write_all(line.as_bytes()).unwrap();
        let mut reply = vec![0; line.len()];
        tls.read_exact(&mut reply).expect("the echo");
        assert_eq!(reply, line.as_bytes());
    }
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).expect("a clean end: the server's close_notify");
    assert!(rest.is_empty());
}

// ---- quicksort -----------------------------------------------------------------------------------------

#[test]
fn quicksort_sorts_what_it_is_given() {
    // More numbers than the sequential cutoff, with duplicates and negatives, fed on stdin.
    let mut state = 12345_u64;
    let numbers: Vec<i64> = (0..50_000)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as i64 % 20_000 - 10_000
        })
        .collect();
    let input: String = numbers.iter().map(|n| format!("{n}\n")).collect();
    let mut child = Command::new(&examples()["quicksort"])
        .arg("-")
        .env("CORO_WORKERS", "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success());
    let sorted: Vec<i64> =
        String::from_utf8(output.stdout).unwrap().lines().map(|n| n.parse().unwrap()).collect();
    let mut expected = numbers;
    expected.sort();
    assert_eq!(sorted, expected);

    // Its own mode: generate, sort, and compare with std's sort.
    let output = Command::new(&examples()["quicksort"]).args(["200000", "7"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8(output.stdout).unwrap().starts_with("sorted 200000 numbers in "));
}
