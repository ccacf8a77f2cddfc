//! Makes every trybuild pass case (`tests/ui/pass/*.rs`) a test of the edition crate being built.
//!
//! A case is a program with a private `fn main`; each one becomes a module of the test crate, its source
//! followed by a `#[test]` that calls that `main`. The cases are listed from the directory, so a new case
//! is compiled and run in every edition without being named anywhere else.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let cases = Path::new(&manifest_dir).join("../../ui/pass");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("pass");
    fs::create_dir_all(&out).expect("create OUT_DIR/pass");
    println!("cargo::rerun-if-changed={}", cases.display());

    let mut names: Vec<String> = fs::read_dir(&cases)
        .expect("read tests/ui/pass")
        .map(|entry| entry.expect("read tests/ui/pass").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect();
    names.sort();

    let mut modules = String::new();
    for name in &names {
        let source = fs::read_to_string(cases.join(format!("{name}.rs"))).expect("read a pass case");
        let module = out.join(format!("{name}.rs"));
        let test = "\n#[test]\nfn compiles_and_runs() {\n    main();\n}\n";
        fs::write(&module, source + test).expect("write a pass case module");
        // Warnings are the root crate's trybuild run's to judge (some cases keep the user's on purpose).
        let path = module.display().to_string();
        writeln!(modules, "#[allow(warnings)]\n#[path = {path:?}]\nmod {name};").unwrap();
    }
    fs::write(out.join("mod.rs"), modules).expect("write the list of pass cases");
}
