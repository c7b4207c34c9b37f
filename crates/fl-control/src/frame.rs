//! Native messaging frames: a 32-bit length in the machine's byte order, then that many bytes
//! (JSON). The same framing runs on the unix socket, so the host copies frames without parsing.

use std::io::{self, Read, Write};

/// The largest frame read: a screenshot of a large window as base64 PNG fits many times over.
/// (Firefox itself refuses frames over 1 MiB towards the extension.)
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Reads one frame; `Ok(None)` at a clean end of stream (no byte of a next frame).
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read(&mut len[..1])? {
        0 => return Ok(None),
        _ => r.read_exact(&mut len[1..])?,
    }
    let mut body = body_for(len)?;
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// The buffer for a frame whose length prefix is `len`, refused over [`MAX_FRAME`].
fn body_for(len: [u8; 4]) -> io::Result<Vec<u8>> {
    let len = u32::from_ne_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a frame of {len} bytes is over the {MAX_FRAME}-byte limit")));
    }
    Ok(vec![0; len])
}

/// Writes one frame and flushes it.
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).ok().filter(|&n| n as usize <= MAX_FRAME);
    let len = len.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("a frame of {} bytes is too large", body.len())))?;
    w.write_all(&len.to_ne_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// The same frame, for a tokio stream.
pub async fn read_frame_async(r: &mut (impl tokio::io::AsyncRead + Unpin)) -> io::Result<Option<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    let mut len = [0u8; 4];
    match r.read(&mut len[..1]).await? {
        0 => return Ok(None),
        _ => r.read_exact(&mut len[1..]).await?,
    };
    let mut body = body_for(len)?;
    r.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// Writes one frame to a tokio stream.
pub async fn write_frame_async(w: &mut (impl tokio::io::AsyncWrite + Unpin), body: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut framed = Vec::with_capacity(body.len() + 4);
    write_frame(&mut framed, body)?;
    w.write_all(&framed).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_clean_end_is_none() {
        let mut buf = Vec::new();
        write_frame(&mut buf, br#"{"a":1}"#).unwrap();
        write_frame(&mut buf, b"").unwrap();
        let mut r = buf.as_slice();
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), br#"{"a":1}"#);
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"");
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn an_oversized_or_cut_frame_is_an_error() {
        let huge = ((MAX_FRAME + 1) as u32).to_ne_bytes();
        assert_eq!(read_frame(&mut huge.as_slice()).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let mut cut = Vec::new();
        write_frame(&mut cut, b"abcdef").unwrap();
        cut.truncate(7);
        assert_eq!(read_frame(&mut cut.as_slice()).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }
}
