//! `switchboard-fuzz-afl <target>`: one of `switchboard-fuzz`'s targets as an AFL++ harness
//! (input on stdin or AFL's shared memory, a panic is a crash).
//! `switchboard-fuzz-afl <target> --dump-corpus DIR` writes the target's seeds as AFL's input
//! directory. See `crates/fuzz/afl.sh`.

use std::sync::Mutex;

use fuzz::Target;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    let Some(target) = Target::ALL.into_iter().find(|t| t.name() == name) else {
        let names: Vec<_> = Target::ALL.iter().map(|t| t.name()).collect();
        eprintln!(
            "usage: switchboard-fuzz-afl <{}> [--dump-corpus DIR]",
            names.join("|")
        );
        std::process::exit(2);
    };
    if args.next().as_deref() == Some("--dump-corpus") {
        let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "corpus".into()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("{}: {e}", dir.display());
            std::process::exit(1);
        }
        for (i, seed) in target.corpus().iter().enumerate() {
            if let Err(e) = std::fs::write(dir.join(format!("seed-{i:04}")), seed) {
                eprintln!("{}: {e}", dir.display());
                std::process::exit(1);
            }
        }
        return;
    }
    // A Mutex, not a RefCell: AFL's loop needs a closure that is RefUnwindSafe.
    let ctx = Mutex::new(target.context());
    afl::fuzz!(|data: &[u8]| {
        if let Ok(mut ctx) = ctx.lock() {
            target.exec(&mut ctx, data);
        }
    });
}
