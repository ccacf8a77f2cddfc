//! The command table, and the commands on the keyspace (everything but the connection-level PING, QUIT and
//! publish/subscribe, which the session in `main.rs` runs).
//!
//! Replies and error messages are Redis's, so clients (redis-cli, redis-benchmark, client libraries) read
//! them as they would from Redis. Each command is a plain function that takes the store's lock once, for a
//! few map operations.

use crate::resp::{Command, array, bulk, error, integer, integer_reply, optional_bulk, simple};
use crate::store::{Keys, Store};
use std::time::{Duration, Instant};

/// A command name, upper-cased, and its arity as Redis writes it: `n` exactly n arguments (the name
/// included), `-n` at least n.
pub struct Spec {
    pub name: &'static str,
    arity: i32,
}

const fn spec(name: &'static str, arity: i32) -> Spec {
    Spec { name, arity }
}

/// Every command this server knows.
const COMMANDS: &[Spec] = &[
    spec("GET", 2),
    spec("SET", -3),
    spec("DEL", -2),
    spec("EXISTS", -2),
    spec("INCR", 2),
    spec("DECR", 2),
    spec("MGET", -2),
    spec("MSET", -3),
    spec("EXPIRE", 3),
    spec("TTL", 2),
    spec("ECHO", 2),
    spec("PING", -1),
    spec("QUIT", -1),
    spec("SELECT", 2),
    spec("PUBLISH", 3),
    spec("SUBSCRIBE", -2),
    spec("UNSUBSCRIBE", -1),
    // What clients send on connecting: redis-benchmark asks `CONFIG GET save` and `CONFIG GET appendonly`,
    // redis-cli in interactive mode asks `COMMAND DOCS` (for its hints; an empty answer means none).
    spec("CONFIG", -2),
    spec("COMMAND", -1),
];

const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";

/// Looks the command up; on an unknown command or a wrong number of arguments, writes the error reply and
/// returns `None`.
pub fn lookup(command: &Command<'_>, out: &mut Vec<u8>) -> Option<&'static Spec> {
    let name = command.arg(0);
    let Some(spec) = COMMANDS.iter().find(|spec| name.eq_ignore_ascii_case(spec.name.as_bytes())) else {
        let mut message = format!("ERR unknown command '{}', with args beginning with: ", lossy(name));
        command.args_from(1).for_each(|arg| message.push_str(&format!("'{}' ", lossy(arg))));
        error(out, &message);
        return None;
    };
    let len = command.len() as i32;
    if (spec.arity >= 0 && len != spec.arity) || len < -spec.arity {
        let message = format!("ERR wrong number of arguments for '{}' command", spec.name.to_lowercase());
        error(out, &message);
        return None;
    }
    Some(spec)
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Runs a keyspace command (its arity already checked by [`lookup`]).
pub fn execute(name: &str, command: &Command<'_>, store: &Store, out: &mut Vec<u8>) {
    let key = command.arg(1);
    match name {
        "GET" => store.with(|keys| optional_bulk(out, keys.get(key).map(|entry| &entry.value[..]))),
        "SET" => set(command, store, out),
        "DEL" => {
            let removed = store.with(|keys| command.args_from(1).filter(|key| keys.remove(key)).count());
            integer_reply(out, removed as i64);
        }
        "EXISTS" => {
            let found = store.with(|keys| command.args_from(1).filter(|key| keys.contains(key)).count());
            integer_reply(out, found as i64);
        }
        "INCR" | "DECR" => {
            let delta = if name == "INCR" { 1 } else { -1 };
            match store.with(|keys| increment(keys, key, delta)) {
                Ok(value) => integer_reply(out, value),
                Err(message) => error(out, message),
            }
        }
        "MGET" => store.with(|keys| {
            array(out, command.len() - 1);
            for key in command.args_from(1) {
                optional_bulk(out, keys.get(key).map(|entry| &entry.value[..]));
            }
        }),
        "MSET" if command.len().is_multiple_of(2) => {
            error(out, "ERR wrong number of arguments for 'mset' command")
        }
        "MSET" => {
            store.with(|keys| {
                let mut args = command.args_from(1);
                while let (Some(key), Some(value)) = (args.next(), args.next()) {
                    keys.set(key, value.to_vec(), None);
                }
            });
            simple(out, "OK");
        }
        "EXPIRE" => expire(command, store, out),
        "TTL" => {
            let ttl = store.with(|keys| {
                let now = keys.now;
                keys.get(key).map(|entry| entry.expires.map(|at| at.saturating_duration_since(now)))
            });
            integer_reply(
                out,
                match ttl {
                    None => -2,
                    Some(None) => -1,
                    Some(Some(left)) => ((left.as_millis() + 500) / 1000) as i64,
                },
            );
        }
        "ECHO" => bulk(out, key),
        "SELECT" => match integer(key) {
            Some(0) => simple(out, "OK"),
            Some(_) => error(out, "ERR DB index is out of range"),
            None => error(out, NOT_AN_INTEGER),
        },
        "CONFIG" => config(command, out),
        "COMMAND" => array(out, 0),
        _ => unreachable!("{name} is in the table but has no implementation"),
    }
}

/// `SET key value [NX|XX] [EX seconds|PX milliseconds|KEEPTTL]`.
fn set(command: &Command<'_>, store: &Store, out: &mut Vec<u8>) {
    #[derive(PartialEq)]
    enum Ttl {
        None,
        Keep,
        In(Duration),
    }
    let (mut only_if_new, mut only_if_old, mut ttl) = (false, false, Ttl::None);
    let mut args = command.args_from(3);
    while let Some(option) = args.next() {
        let is = |name: &str| option.eq_ignore_ascii_case(name.as_bytes());
        if is("NX") && !only_if_old {
            only_if_new = true;
        } else if is("XX") && !only_if_new {
            only_if_old = true;
        } else if is("KEEPTTL") && ttl == Ttl::None {
            ttl = Ttl::Keep;
        } else if (is("EX") || is("PX")) && ttl == Ttl::None {
            let Some(amount) = args.next() else { return error(out, "ERR syntax error") };
            let Some(amount) = integer(amount) else { return error(out, NOT_AN_INTEGER) };
            let Some(amount) = u64::try_from(amount).ok().filter(|&n| n > 0) else {
                return error(out, "ERR invalid expire time in 'set' command");
            };
            ttl = Ttl::In(if is("EX") { Duration::from_secs(amount) } else { Duration::from_millis(amount) });
        } else {
            return error(out, "ERR syntax error");
        }
    }
    let (key, value) = (command.arg(1), command.arg(2));
    let written = store.with(|keys| {
        let old_expiry = keys.get(key).map(|entry| entry.expires);
        if (only_if_new && old_expiry.is_some()) || (only_if_old && old_expiry.is_none()) {
            return Ok(false);
        }
        let expires = match ttl {
            Ttl::None => None,
            Ttl::Keep => old_expiry.flatten(),
            Ttl::In(after) => {
                Some(deadline(keys.now, after).ok_or("ERR invalid expire time in 'set' command")?)
            }
        };
        keys.set(key, value.to_vec(), expires);
        Ok(true)
    });
    match written {
        Ok(true) => simple(out, "OK"),
        Ok(false) => optional_bulk(out, None),
        Err(message) => error(out, message),
    }
}

/// `EXPIRE key seconds`: 1 if the key exists (a time not in the future deletes it), else 0.
fn expire(command: &Command<'_>, store: &Store, out: &mut Vec<u8>) {
    let Some(seconds) = integer(command.arg(2)) else { return error(out, NOT_AN_INTEGER) };
    let key = command.arg(1);
    let result = store.with(|keys| {
        let now = keys.now;
        let Some(entry) = keys.get(key) else { return Ok(0) };
        match u64::try_from(seconds).ok().filter(|&s| s > 0) {
            Some(seconds) => {
                let at = deadline(now, Duration::from_secs(seconds));
                entry.expires = Some(at.ok_or("ERR invalid expire time in 'expire' command")?);
            }
            None => {
                keys.remove(key);
            }
        }
        Ok(1)
    });
    match result {
        Ok(n) => integer_reply(out, n),
        Err(message) => error(out, message),
    }
}

fn deadline(now: Instant, after: Duration) -> Option<Instant> {
    now.checked_add(after)
}

/// INCR and DECR: the value must be a decimal integer; a missing key counts as 0; the TTL is kept.
fn increment(keys: &mut Keys<'_>, key: &[u8], delta: i64) -> Result<i64, &'static str> {
    let Some(entry) = keys.get(key) else {
        keys.set(key, delta.to_string().into_bytes(), None);
        return Ok(delta);
    };
    let value = integer(&entry.value).ok_or(NOT_AN_INTEGER)?;
    let value = value.checked_add(delta).ok_or("ERR increment or decrement would overflow")?;
    entry.value.clear();
    entry.value.extend_from_slice(value.to_string().as_bytes());
    Ok(value)
}

/// `CONFIG GET parameter...`: the few parameters clients ask about, as name-value pairs.
fn config(command: &Command<'_>, out: &mut Vec<u8>) {
    const PARAMETERS: [(&str, &str); 3] = [("save", ""), ("appendonly", "no"), ("databases", "1")];
    let subcommand = command.arg(1);
    if !subcommand.eq_ignore_ascii_case(b"GET") {
        let message = format!("ERR unknown subcommand '{}'. Try CONFIG HELP.", lossy(subcommand));
        return error(out, &message);
    }
    if command.len() < 3 {
        return error(out, "ERR wrong number of arguments for 'config|get' command");
    }
    let wanted =
        |name: &str| command.args_from(2).any(|arg| arg == b"*" || arg.eq_ignore_ascii_case(name.as_bytes()));
    let found: Vec<_> = PARAMETERS.iter().filter(|(name, _)| wanted(name)).collect();
    array(out, found.len() * 2);
    for (name, value) in found {
        bulk(out, name.as_bytes());
        bulk(out, value.as_bytes());
    }
}
