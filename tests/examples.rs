//! The example programs, judged by real clients: an HTTP client (ureq) against `http`, `hyper` and through
//! `proxy`, hyper's own client (`hyper_client`) against `hyper`, a rustls client against `https` and
//! `tls_echo`, the Redis client library against `redis`, plain sockets against `chat`, and `quicksort`'s
//! output.
//!
//! The default suite needs nothing but the Rust toolchain. The checks with the system's own clients (curl,
//! wrk, redis-cli, redis-benchmark, nc) are `#[ignore]`d, an explicit group that `.ci/run` installs the
//! tools for and runs with `cargo test --test examples -- --ignored`; a missing tool fails them with a
//! message saying what to install. Every system client runs under `timeout`, and every load run is bounded
//! (`-d1s`, `-n 2000`), so a broken server fails a test instead of hanging it.

mod servers;

use servers::{Process, Server, connect, examples, expect_reply, redis_connection, send_and_read_to_end};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

#[allow(dead_code, reason = "the tests use the parser, not every item the server uses")]
#[path = "../examples/http/date.rs"]
mod http_date;
#[path = "../examples/http/parse.rs"]
mod http_parse;
#[allow(dead_code, reason = "the tests use the client configuration, the examples the rest")]
#[path = "../examples/tls/config.rs"]
mod tls_config;

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

// ---- http ----------------------------------------------------------------------------------------------

/// An HTTP client that returns every status as a response, not as an error.
fn http_client() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build();
    config.into()
}

/// A response's status, the given headers (`""` when absent) and its body.
fn answer(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    headers: &[&str],
) -> (u16, Vec<String>, String) {
    let mut response = response.expect("an HTTP response");
    let values = headers
        .iter()
        .map(|name| response.headers().get(*name).map_or("", |v| v.to_str().unwrap()).to_string())
        .collect();
    (response.status().as_u16(), values, response.body_mut().read_to_string().expect("a body"))
}

#[test]
fn http_answers_an_http_client() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let client = http_client();
    for (path, content_type, body) in [
        ("/plaintext", "text/plain", "Hello, World!"),
        ("/json", "application/json", r#"{"message":"Hello, World!"}"#),
    ] {
        let headers = ["server", "content-type", "content-length", "date"];
        let (status, values, got_body) = answer(client.get(http.url(path)).call(), &headers);
        assert_eq!(status, 200);
        assert_eq!(values[..3], ["coro", content_type, &body.len().to_string()]);
        let date = &values[3];
        assert_eq!(date.len(), 29, "an IMF-fixdate: {date:?}");
        assert!(date.ends_with(" GMT"), "{date:?}");
        assert_eq!(got_body, body);
    }
    assert_eq!(answer(client.get(http.url("/nope")).call(), &[]).0, 404);
    assert_eq!(answer(client.get(http.url("/plaintext?query=1")).call(), &[]).0, 200);
    let (status, length, body) = answer(client.head(http.url("/json")).call(), &["content-length"]);
    assert_eq!((status, &length[0][..], &body[..]), (200, "27", ""));
    assert_eq!(answer(client.post(http.url("/json")).send("x=1"), &[]).0, 405);
}

#[test]
#[ignore = "needs curl: run by .ci/run with --ignored"]
fn http_answers_curl_on_one_kept_alive_connection() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let output = tool("curl")
        .args(["-sv", "--max-time", "10"])
        .args([http.url("/plaintext"), http.url("/json")])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    let (stdout, stderr) =
        (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert_eq!(stderr.matches("Connected to").count(), 1, "curl connected more than once:\n{stderr}");
    assert_eq!(stdout, r#"Hello, World!{"message":"Hello, World!"}"#);
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
    assert_eq!(answer(http_client().get(http.url("/plaintext")).call(), &[]).2, "Hello, World!");
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
#[ignore = "needs wrk: run by .ci/run with --ignored"]
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

/// Runs `args` on `connection` and shows the reply as redis-cli does: errors as `ERR ...`, nil as an
/// empty line, arrays one element per line.
fn query(connection: &mut redis::Connection, args: &[&str]) -> String {
    match redis::cmd(args[0]).arg(&args[1..]).query::<redis::Value>(connection) {
        Ok(value) => show(&value),
        Err(error) => format!("{} {}", error.code().unwrap_or("?"), error.detail().unwrap_or("")),
    }
}

fn show(value: &redis::Value) -> String {
    match value {
        redis::Value::Nil => String::new(),
        redis::Value::Okay => "OK".to_string(),
        redis::Value::Int(n) => n.to_string(),
        redis::Value::SimpleString(text) => text.clone(),
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join("\n"),
        other => panic!("RESP2 has no {other:?}"),
    }
}

/// One command on a connection of its own.
fn cli(redis: &Server, args: &[&str]) -> String {
    query(&mut redis_connection(redis), args)
}

#[test]
fn redis_client_round_trips_every_command() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let mut connection = redis_connection(&redis);
    let mut cli = |args: &str| query(&mut connection, &args.split(' ').collect::<Vec<_>>());
    assert_eq!(cli("PING"), "PONG");
    assert_eq!(cli("ping hi"), "hi");
    assert_eq!(query(&mut redis_connection(&redis), &["ECHO", "hello world"]), "hello world");
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
    assert_eq!(cli("CONFIG GET save"), "save\n");
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
    assert_eq!(cli(&redis, &["GET", "q"]), "a b!\n");
}

/// Pipelined SETs and GETs from several connections at once, as redis-benchmark's `-P 16` sends them: every
/// reply in order, and the data right afterwards.
#[test]
fn redis_serves_pipelined_clients_at_once() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let mut connection = redis_connection(&redis);
            std::thread::spawn(move || {
                for round in 0..50 {
                    let mut pipe = redis::pipe();
                    for i in 0..16 {
                        pipe.cmd("SET").arg(format!("key:{client}:{i}")).arg(round * 16 + i).ignore();
                    }
                    for i in 0..16 {
                        pipe.cmd("GET").arg(format!("key:{client}:{i}"));
                    }
                    let values: Vec<u32> = pipe.query(&mut connection).expect("16 replies to the GETs");
                    assert_eq!(values, (0..16).map(|i| round * 16 + i).collect::<Vec<_>>());
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(cli(&redis, &["MGET", "key:0:0", "key:3:15"]), "784\n799");
}

#[test]
#[ignore = "needs redis-benchmark: run by .ci/run with --ignored"]
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
    let mut subscriber = connect(&redis.addr);
    subscriber.write_all(b"SUBSCRIBE news sport\r\n").unwrap();
    expect_reply(&mut subscriber, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    expect_reply(&mut subscriber, "*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n");
    // The confirmations came after the subscriptions were registered: publishing now reaches it.
    let mut publisher = redis_connection(&redis);
    assert_eq!(query(&mut publisher, &["PUBLISH", "news", "hello subscribers"]), "1");
    assert_eq!(query(&mut publisher, &["PUBLISH", "weather", "nobody listens"]), "0");
    assert_eq!(query(&mut publisher, &["PUBLISH", "sport", "goal"]), "1");
    expect_reply(&mut subscriber, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$17\r\nhello subscribers\r\n");
    expect_reply(&mut subscriber, "*3\r\n$7\r\nmessage\r\n$5\r\nsport\r\n$4\r\ngoal\r\n");

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
    // The connections that left are no longer counted.
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

    let mut bob = connect(&chat.addr);
    let mut bob_line = lines_of(&bob);
    let welcome = bob_line();
    assert!(welcome.starts_with("*** welcome, ") && welcome.ends_with("; 2 here"), "{welcome:?}");

    let carol = connect(&chat.addr);
    let mut carol_line = lines_of(&carol);
    assert!(read_until_suffix(&mut carol_line, " here").ends_with("; 3 here"));

    alice.write_all(b"hello from alice\r\n").unwrap();
    let heard = read_until_suffix(&mut bob_line, ": hello from alice");
    assert_eq!(heard, format!("{alice_name}: hello from alice"));
    read_until_suffix(&mut carol_line, ": hello from alice");

    // Nobody hears their own line: alice's next line is bob's (an echo would fail `read_until_suffix`).
    bob.write_all(b"hello from bob\n").unwrap();
    read_until_suffix(&mut alice_line, ": hello from bob");
    read_until_suffix(&mut carol_line, ": hello from bob");

    // A client that leaves is announced to the others.
    drop((carol, carol_line));
    read_until_suffix(&mut alice_line, " left");
    read_until_suffix(&mut bob_line, " left");
}

#[test]
#[ignore = "needs nc and redis-cli: run by .ci/run with --ignored"]
fn chat_and_redis_talk_with_nc_and_redis_cli() {
    let chat = Server::start("chat", &["127.0.0.1:0"]);
    let alice = connect(&chat.addr);
    let mut alice_line = lines_of(&alice);
    alice_line();
    let (host, port) = chat.addr.rsplit_once(':').unwrap();
    let mut nc = Interactive::start(tool("nc").args([host, port]));
    assert!(nc.read_line().ends_with("; 2 here"));
    nc.stdin.write_all(b"hello from nc\n").unwrap();
    read_until_suffix(&mut alice_line, ": hello from nc");

    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let redis_cli = |args: &[&str]| run(tool("redis-cli").args(["-p", redis.port()]).args(args));
    assert_eq!(redis_cli(&["SET", "k", "hello world"]), "OK\n");
    assert_eq!(redis_cli(&["GET", "k"]), "hello world\n");
    // redis-cli in subscribed mode prints each reply element on a line of its own.
    let mut subscriber =
        Interactive::start(tool("redis-cli").args(["-p", redis.port(), "SUBSCRIBE", "news"]));
    for expected in ["subscribe", "news", "1"] {
        assert_eq!(subscriber.read_line(), expected);
    }
    assert_eq!(redis_cli(&["PUBLISH", "news", "hi"]), "1\n");
    for expected in ["message", "news", "hi"] {
        assert_eq!(subscriber.read_line(), expected);
    }
}

// ---- proxy ---------------------------------------------------------------------------------------------

#[test]
fn http_client_reaches_http_through_the_proxy_and_half_closes_pass_through() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let proxy = Server::start("proxy", &["127.0.0.1:0", &http.addr]);
    let client = http_client();
    for (path, body) in [("/plaintext", "Hello, World!"), ("/json", r#"{"message":"Hello, World!"}"#)] {
        assert_eq!(answer(client.get(proxy.url(path)).call(), &[]), (200, vec![], body.to_string()));
    }

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

// ---- hyper, hyper_client ------------------------------------------------------------------------------

#[test]
fn hyper_answers_an_http_client_and_hyper_client() {
    let server = Server::start("hyper", &["127.0.0.1:0"]);
    let client = http_client();
    let (status, types, body) = answer(client.get(server.url("/plaintext")).call(), &["content-type"]);
    assert_eq!((status, &types[0][..], &body[..]), (200, "text/plain", "Hello, World!"));
    let (status, types, body) = answer(client.get(server.url("/json")).call(), &["content-type"]);
    assert_eq!(
        (status, &types[0][..], &body[..]),
        (200, "application/json", r#"{"message":"Hello, World!"}"#)
    );
    let (status, _, body) = answer(client.get(server.url("/stream")).call(), &[]);
    let expected: String = (0..100).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!((status, body), (200, expected));
    let (status, _, body) = answer(client.post(server.url("/echo")).send("posted"), &[]);
    assert_eq!((status, &body[..]), (200, "posted"));
    assert_eq!(answer(client.get(server.url("/nowhere")).call(), &[]).0, 404);

    let output = Command::new(&examples()["hyper_client"]).arg(&server.addr).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).unwrap();
    for line in [
        "GET /plaintext: 200 OK, 13 bytes: Hello, World!",
        r#"GET /json: 200 OK, 27 bytes: {"message":"Hello, World!"}"#,
        "GET /stream: 200 OK, 890 bytes: ...",
        "POST /echo: 200 OK, 9 bytes: echo this",
    ] {
        assert!(printed.lines().any(|got| got == line), "no {line:?} in:\n{printed}");
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

    /// The certificate, for a client to trust.
    fn der(&self) -> coro::tls::rustls::pki_types::CertificateDer<'static> {
        use coro::tls::rustls::pki_types::{CertificateDer, pem::PemObject};
        CertificateDer::from_pem_file(&self.0).expect("the certificate's PEM")
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0); // a temporary file: nothing to do if it is gone already
    }
}

/// A blocking rustls client connection to `addr`, for the server named `name`, trusting only `trusted`.
fn tls_connect(
    addr: &str,
    name: &str,
    trusted: coro::tls::rustls::pki_types::CertificateDer<'static>,
) -> coro::tls::rustls::StreamOwned<coro::tls::rustls::ClientConnection, TcpStream> {
    use coro::tls::rustls::{ClientConnection, StreamOwned, pki_types::ServerName};
    let name = ServerName::try_from(name.to_string()).unwrap();
    let conn = ClientConnection::new(tls_config::client(trusted), name).unwrap();
    StreamOwned::new(conn, connect(addr))
}

#[test]
fn https_answers_a_client_that_trusts_its_certificate_only() {
    let https = Server::start("https", &["127.0.0.1:0"]);
    let cert = Certificate::of(&https);
    for name in ["localhost", "127.0.0.1"] {
        let mut tls = tls_connect(&https.addr, name, cert.der());
        tls.write_all(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = Vec::new();
        tls.read_to_end(&mut response).expect("the response, then the server's close_notify");
        let response = String::from_utf8(response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nHello, World!"), "{response}");
    }
    // A client that trusts another certificate refuses the server; plain HTTP gets no HTTP answer; the
    // server goes on serving.
    let stranger = tls_config::self_signed().chain[0].clone();
    let mut refused = tls_connect(&https.addr, "localhost", stranger);
    let error = refused.write_all(b"GET / HTTP/1.1\r\n\r\n").and_then(|()| refused.flush()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{error}");
    let plain = send_and_read_to_end(&https.addr, b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(!plain.contains("Hello, World!"), "{plain}");
    let mut tls = tls_connect(&https.addr, "localhost", cert.der());
    tls.write_all(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\nConnection: close\r\n\r\nover tls",
    )
    .unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).unwrap();
    assert!(response.ends_with("\r\n\r\nover tls"), "{response}");
}

#[test]
#[ignore = "needs curl: run by .ci/run with --ignored"]
fn https_and_hyper_answer_curl() {
    let hyper = Server::start("hyper", &["127.0.0.1:0"]);
    let both =
        run(tool("curl").args(["-s", "--max-time", "10", &hyper.url("/plaintext"), &hyper.url("/json")]));
    assert_eq!(both, r#"Hello, World!{"message":"Hello, World!"}"#);
    let https = Server::start("https", &["127.0.0.1:0"]);
    let cert = Certificate::of(&https);
    let url = |path: &str| format!("https://localhost:{}{path}", https.port());
    let both = run(tool("curl").args([
        "-s",
        "--max-time",
        "10",
        "--cacert",
        &cert.0,
        &url("/plaintext"),
        &url("/json"),
    ]));
    assert_eq!(both, r#"Hello, World!{"message":"Hello, World!"}"#);
    // Without the certificate curl refuses the server (60: peer certificate cannot be authenticated).
    let untrusted = tool("curl").args(["-s", "--max-time", "10", &url("/")]).output().unwrap();
    assert_eq!(untrusted.status.code(), Some(60));
}

#[test]
fn tls_echo_echoes_to_a_rustls_client() {
    let echo = Server::start("tls_echo", &["127.0.0.1:0"]);
    let mut tls = tls_connect(&echo.addr, "localhost", Certificate::of(&echo).der());
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
