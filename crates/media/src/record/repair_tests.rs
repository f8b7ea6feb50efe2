use std::path::PathBuf;

use super::super::writer::open;
use super::*;

/// A fresh path in the temp dir, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("sb-repair-{}-{name}.wav", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn samples(n: usize) -> Vec<[i16; 2]> {
    (0..n).map(|i| [i as i16, -(i as i16)]).collect()
}

fn read_all(path: &Path) -> Result<Vec<i16>, hound::Error> {
    hound::WavReader::open(path)?.samples::<i16>().collect()
}

/// A recording as the recorder writes it, finalized.
fn good_file(path: &Path, pairs: &[[i16; 2]]) {
    let (mut wav, _) = open(path).expect("create");
    wav.pairs(pairs).expect("write");
    wav.flush().expect("finalize");
}

#[test]
fn a_good_file_is_left_untouched() {
    let tmp = TempPath::new("good");
    good_file(&tmp.0, &samples(4000));
    let before = std::fs::read(&tmp.0).expect("read");
    let outcome = repair(&tmp.0).expect("repair");
    assert_eq!(
        outcome,
        RepairOutcome {
            changed: false,
            data_bytes: 16_000,
            truncated_bytes: 0,
            duration: Duration::from_millis(500),
        }
    );
    assert_eq!(std::fs::read(&tmp.0).expect("read"), before);
}

#[test]
fn a_good_file_with_a_trailing_chunk_is_left_untouched() {
    let tmp = TempPath::new("trailing");
    good_file(&tmp.0, &samples(100));
    let mut bytes = std::fs::read(&tmp.0).expect("read");
    bytes.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
    let riff = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    std::fs::write(&tmp.0, &bytes).expect("write");
    let outcome = repair(&tmp.0).expect("repair");
    assert!(!outcome.changed);
    assert_eq!(outcome.data_bytes, 400);
    assert_eq!(std::fs::read(&tmp.0).expect("read"), bytes);
}

#[test]
fn a_crashed_writer_leaves_a_file_that_repair_makes_whole() {
    let tmp = TempPath::new("crash");
    // 3 s: more than the writer buffers.
    let pairs = samples(24_000);
    let (mut wav, file) = open(&tmp.0).expect("create");
    for chunk in pairs.chunks(2048) {
        wav.pairs(chunk).expect("write");
    }
    // The process dies: no flush, no finalize, the buffered tail never reaches the disk.
    std::mem::forget(wav);
    drop(file);
    let on_disk = std::fs::metadata(&tmp.0).expect("stat").len();
    assert!(
        on_disk > 44 + 32_000,
        "most of the audio is on disk: {on_disk}"
    );
    let before = read_all(&tmp.0).map(|s| s.len()).unwrap_or(0);
    assert_eq!(before, 0, "the stale header hides the audio");

    let outcome = repair(&tmp.0).expect("repair");
    assert!(outcome.changed);
    assert_eq!(outcome.data_bytes, on_disk - 44);
    let after = read_all(&tmp.0).expect("readable after repair");
    assert_eq!(after.len() as u64, (on_disk - 44) / 2);
    let expected: Vec<i16> = pairs.iter().flatten().copied().take(after.len()).collect();
    assert_eq!(after, expected);
    // A second run finds nothing to do.
    assert!(!repair(&tmp.0).expect("repair again").changed);
}

#[test]
fn a_partial_last_frame_is_cut_off_and_a_stale_size_grows() {
    let tmp = TempPath::new("partial");
    let pairs = samples(1000);
    let (mut wav, _file) = open(&tmp.0).expect("create");
    wav.pairs(&pairs[..500]).expect("write");
    // The header says 500 frames (a flush), then 500 more frames and half a frame follow:
    // what a crash in the middle of a write could leave.
    wav.flush().expect("flush");
    drop(wav);
    let mut bytes = std::fs::read(&tmp.0).expect("read");
    bytes.truncate(44 + 2000);
    for &[l, r] in &pairs[500..] {
        bytes.extend_from_slice(&l.to_le_bytes());
        bytes.extend_from_slice(&r.to_le_bytes());
    }
    bytes.extend_from_slice(&7i16.to_le_bytes());
    std::fs::write(&tmp.0, &bytes).expect("write");
    assert_eq!(
        read_all(&tmp.0).expect("readable up to the flush").len(),
        1000
    );

    let outcome = repair(&tmp.0).expect("repair");
    assert_eq!((outcome.changed, outcome.truncated_bytes), (true, 2));
    assert_eq!(outcome.duration, Duration::from_millis(125));
    let after = read_all(&tmp.0).expect("read");
    let expected: Vec<i16> = pairs.iter().flatten().copied().collect();
    assert_eq!(after, expected);
}

#[test]
fn not_a_wav_is_an_error_and_untouched() {
    let tmp = TempPath::new("garbage");
    std::fs::write(&tmp.0, b"hello, this is not a wave file at all").expect("write");
    assert!(matches!(repair(&tmp.0), Err(RecordError::NotWav { .. })));
    assert_eq!(
        std::fs::read(&tmp.0).expect("read"),
        b"hello, this is not a wave file at all"
    );
    assert!(matches!(
        repair(tmp.0.with_extension("missing")),
        Err(RecordError::Io { .. })
    ));
}
