//! The build script of the three program packages (tools/, tests/, benches/; each names it with
//! `build = "../link.rs"`): links every program with user/link.ld, statically, with no C runtime.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let ld = std::path::Path::new(&dir).join("../link.ld");
    let ld = ld.display();
    println!("cargo:rerun-if-changed={ld}");
    println!("cargo:rustc-link-arg-bins=-T{ld}");
    println!("cargo:rustc-link-arg-bins=-nostdlib");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
}
