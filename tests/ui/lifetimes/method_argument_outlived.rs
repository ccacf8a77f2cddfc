//! A method holds its arguments as a free fn does, `&self` or not: a future that outlives the borrowed key
//! is E0597 on the user's `&key`, as for an `async fn` method.
struct Map(Vec<(String, u32)>);

impl Map {
    #[coro::coroutine]
    fn get(&self, key: &str) -> Option<&u32> {
        coro::yield_now();
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

fn main() {
    let map = Map(vec![("a".to_owned(), 1)]);
    let pending = {
        let key = String::from("a");
        map.get(&key)
    };
    assert_eq!(coro::block_on(pending), Some(&1));
}
