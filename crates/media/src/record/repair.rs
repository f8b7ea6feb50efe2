//! Header repair for a WAV file whose writer died: the RIFF and data chunk sizes are whatever
//! the last header update said (zero if there was none), while the samples written since are
//! on disk after them. The data chunk is taken to run to the end of the file (cut back to whole
//! sample frames) unless the header's size is followed by another valid chunk, which is how a
//! healthy file with trailing metadata looks. A healthy file is left byte for byte as it was.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use super::RecordError;

/// What [`repair`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairOutcome {
    /// Whether the file was modified (header rewritten or a partial last frame cut off).
    pub changed: bool,
    /// Size of the data chunk now.
    pub data_bytes: u64,
    /// Bytes of an incomplete last sample frame that were cut off.
    pub truncated_bytes: u64,
    /// Length of the audio now in the file.
    pub duration: Duration,
}

/// Make the RIFF and data chunk sizes of the WAV file at `path` match what is on disk. Safe
/// on good files (nothing changes); must not run on a file that is still being written.
pub fn repair(path: impl AsRef<Path>) -> Result<RepairOutcome, RecordError> {
    let path = path.as_ref();
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let not_wav = |reason| RecordError::NotWav {
        path: path.to_owned(),
        reason,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 12];
    read_at(&mut file, 0, &mut head)
        .map_err(io)?
        .then_some(())
        .ok_or_else(|| not_wav("shorter than a RIFF header"))?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(not_wav("no RIFF/WAVE signature"));
    }
    let riff_size = le32(&head[4..8]);
    let layout = find_chunks(&mut file, file_len)
        .map_err(io)?
        .map_err(not_wav)?;
    let available = file_len - layout.data_start;
    let declared = u64::from(layout.data_size);
    let trusted = declared <= available && {
        let next = layout.data_start + declared + (declared & 1);
        next == file_len || chunks_reach_end(&mut file, next, file_len).map_err(io)?
    };
    let (data_bytes, truncated_bytes) = if trusted {
        (declared, 0)
    } else {
        let partial = available % u64::from(layout.block_align);
        (available - partial, partial)
    };
    let data_size = u32::try_from(data_bytes).map_err(|_| not_wav("data beyond 4 GiB"))?;
    let new_len = file_len - truncated_bytes;
    let new_riff = u32::try_from(new_len - 8).map_err(|_| not_wav("file beyond 4 GiB"))?;
    let changed = truncated_bytes > 0 || data_size != layout.data_size || new_riff != riff_size;
    if changed {
        if truncated_bytes > 0 {
            file.set_len(new_len).map_err(io)?;
        }
        file.seek(SeekFrom::Start(4)).map_err(io)?;
        file.write_all(&new_riff.to_le_bytes()).map_err(io)?;
        file.seek(SeekFrom::Start(layout.data_start - 4))
            .map_err(io)?;
        file.write_all(&data_size.to_le_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    let frames = data_bytes / u64::from(layout.block_align);
    Ok(RepairOutcome {
        changed,
        data_bytes,
        truncated_bytes,
        duration: Duration::from_nanos(frames * 1_000_000_000 / u64::from(layout.sample_rate)),
    })
}

struct Layout {
    data_start: u64,
    data_size: u32,
    block_align: u16,
    sample_rate: u32,
}

/// Walk the chunks after the RIFF header up to `data`, reading `fmt ` on the way.
fn find_chunks(file: &mut File, file_len: u64) -> std::io::Result<Result<Layout, &'static str>> {
    let mut offset = 12u64;
    let mut format = None;
    let mut header = [0u8; 8];
    loop {
        if !read_at(file, offset, &mut header)? {
            return Ok(Err("no data chunk"));
        }
        let size = le32(&header[4..8]);
        let body = offset + 8;
        match &header[0..4] {
            b"fmt " => {
                let mut fmt = [0u8; 16];
                if size < 16 || !read_at(file, body, &mut fmt)? {
                    return Ok(Err("fmt chunk too short"));
                }
                let sample_rate = le32(&fmt[4..8]);
                let block_align = u16::from_le_bytes([fmt[12], fmt[13]]);
                if sample_rate == 0 || block_align == 0 {
                    return Ok(Err("fmt chunk with zero rate or block size"));
                }
                format = Some((block_align, sample_rate));
            }
            b"data" => {
                let Some((block_align, sample_rate)) = format else {
                    return Ok(Err("data chunk before fmt chunk"));
                };
                return Ok(Ok(Layout {
                    data_start: body,
                    data_size: size,
                    block_align,
                    sample_rate,
                }));
            }
            _ => {}
        }
        offset = body + u64::from(size) + u64::from(size & 1);
        if offset >= file_len {
            return Ok(Err("no data chunk"));
        }
    }
}

/// Whether well-formed chunks run from `offset` exactly to the end of the file (trailing
/// metadata of a healthy file; audio bytes practically never chain up like that).
fn chunks_reach_end(file: &mut File, mut offset: u64, file_len: u64) -> std::io::Result<bool> {
    let mut header = [0u8; 8];
    for _ in 0..64 {
        if !read_at(file, offset, &mut header)? {
            return Ok(false);
        }
        if !header[0..4].iter().all(|b| (0x20..0x7f).contains(b)) {
            return Ok(false);
        }
        let size = u64::from(le32(&header[4..8]));
        offset += 8 + size + (size & 1);
        if offset >= file_len {
            return Ok(offset == file_len);
        }
    }
    Ok(false)
}

/// Fill `buf` from `offset`; false if the file ends first.
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<bool> {
    file.seek(SeekFrom::Start(offset))?;
    match file.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
