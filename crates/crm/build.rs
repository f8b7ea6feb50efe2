//! Rebuild when a migration file is added or edited: `sqlx::migrate!` embeds them at compile
//! time but cargo does not otherwise know they are inputs.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
