//! Where log lines go: standard error, written in batches.
//!
//! The request log writes one line per request. Written straight away that is a system call
//! per request; handed to a writer thread (tracing-appender) it is a thread wake-up per
//! request, which `bench/run` measured at a quarter of a cached lookup's CPU time. Here a
//! line is appended to a buffer. A flush thread, woken by the first line of a batch, lets
//! lines gather for [`FLUSH_EVERY`] and writes them at once; a buffer past [`FLUSH_BYTES`] is
//! written by the request that filled it, so memory stays bounded. An idle server's flush
//! thread sleeps. Lines are never dropped; the guard writes what is left when `main` returns.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait before it shows.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A buffer this large is written at once by the request that filled it.
pub const FLUSH_BYTES: usize = 64 * 1024;

/// The writer handed to `tracing_subscriber`: shared by every thread.
#[derive(Clone)]
pub struct BatchedStderr(Arc<Shared>);

struct Shared {
    state: Mutex<State>,
    /// Signalled when a line lands in an empty buffer, and when stopping.
    wake: Condvar,
}

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    stopping: bool,
}

/// Writes the lines still buffered when dropped, and stops the flush thread.
#[must_use = "dropping the guard stops the flushing"]
pub struct FlushGuard {
    writer: BatchedStderr,
    flusher: Option<thread::JoinHandle<()>>,
}

impl BatchedStderr {
    /// The writer, flushing until the returned guard is dropped.
    pub fn start() -> FlushGuard {
        let writer = Self(Arc::new(Shared {
            state: Mutex::default(),
            wake: Condvar::new(),
        }));
        let flusher = writer.clone();
        let flusher = thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || flusher.flush_batches())
            .ok();
        FlushGuard { writer, flusher }
    }

    fn flush_batches(&self) {
        loop {
            {
                let mut state = self.lock();
                while state.buffer.is_empty() && !state.stopping {
                    state = self.0.wake.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                if state.stopping {
                    return;
                }
            }
            thread::sleep(FLUSH_EVERY);
            self.write_buffered();
        }
    }

    /// Writes out what is buffered. Standard error is locked before the batch is taken, so
    /// batches come out in the order they were taken; the buffer is locked only to swap it,
    /// so requests append to a fresh one while this one is written.
    fn write_buffered(&self) {
        let mut stderr = io::stderr().lock();
        let batch = std::mem::take(&mut self.lock().buffer);
        if !batch.is_empty() {
            // Logging must never fail the program; a closed stderr loses the lines.
            let _ = stderr.write_all(&batch);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FlushGuard {
    /// The writer to give `tracing_subscriber`.
    pub fn writer(&self) -> BatchedStderr {
        self.writer.clone()
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.writer.lock().stopping = true;
        self.writer.0.wake.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        self.writer.write_buffered();
    }
}

impl Write for &BatchedStderr {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let (first, full) = {
            let mut state = self.lock();
            let first = state.buffer.is_empty();
            state.buffer.extend_from_slice(line);
            (first, state.buffer.len() >= FLUSH_BYTES)
        };
        if full {
            self.write_buffered();
        } else if first {
            self.0.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = &'a BatchedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}
