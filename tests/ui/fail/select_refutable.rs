//! A branch's pattern binds the operation's output and must be irrefutable.
//! Fix: bind the value (`result = op => match result { .. }`).
async fn case() -> u32 {
    coro::select! {
        Ok(x) = async { Ok::<u32, ()>(1) } => x,
    }
}

fn main() {}
