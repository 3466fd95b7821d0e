//! Where log lines go: standard error, written in batches.
//!
//! The request log writes one line per request. Written straight away that is a system call
//! per request; handed to a writer thread (tracing-appender) it is a thread wake-up per
//! request, which `bench/run` measured at a quarter of a cached lookup's CPU time. Here a
//! line is appended to a buffer, and the buffer is written when it grows past
//! [`FLUSH_BYTES`] (by the request that filled it, so memory stays bounded and nothing ever
//! waits for a thread) or every [`FLUSH_EVERY`] (by a timer thread that wakes up 20 times a
//! second, whatever the traffic). Lines are never dropped; the guard writes what is left when
//! `main` returns.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait before it shows.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A buffer this large is written at once by the request that filled it.
pub const FLUSH_BYTES: usize = 64 * 1024;

/// The writer handed to `tracing_subscriber`: cheap to clone, shared by every thread.
#[derive(Clone)]
pub struct BatchedStderr(Arc<Shared>);

struct Shared {
    buffer: Mutex<Vec<u8>>,
    /// Set by the guard; the timer thread writes what is left and ends.
    stopping: Mutex<bool>,
    stop: Condvar,
}

/// Writes the lines still buffered when dropped, and stops the timer thread.
#[must_use = "dropping the guard stops the periodic flush"]
pub struct FlushGuard {
    writer: BatchedStderr,
    timer: Option<thread::JoinHandle<()>>,
}

impl BatchedStderr {
    /// The writer and the guard that keeps it flushing.
    pub fn start() -> FlushGuard {
        let writer = Self(Arc::new(Shared {
            buffer: Mutex::new(Vec::new()),
            stopping: Mutex::new(false),
            stop: Condvar::new(),
        }));
        let timer = writer.clone();
        let timer = thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || timer.flush_periodically())
            .ok();
        FlushGuard { writer, timer }
    }

    fn flush_periodically(&self) {
        let mut stopping = lock(&self.0.stopping);
        while !*stopping {
            stopping = self
                .0
                .stop
                .wait_timeout(stopping, FLUSH_EVERY)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            self.write_buffered();
        }
    }

    /// Writes out what is buffered. Taking the batch first keeps the lock short: requests
    /// append to a fresh buffer while this one is written.
    fn write_buffered(&self) {
        let batch = std::mem::take(&mut *lock(&self.0.buffer));
        if !batch.is_empty() {
            // Logging must never fail the program; a closed stderr loses the lines.
            let _ = io::stderr().lock().write_all(&batch);
        }
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
        *lock(&self.writer.0.stopping) = true;
        self.writer.0.stop.notify_all();
        if let Some(timer) = self.timer.take() {
            let _ = timer.join();
        }
        self.writer.write_buffered();
    }
}

impl Write for &BatchedStderr {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut buffer = lock(&self.0.buffer);
        buffer.extend_from_slice(line);
        if buffer.len() >= FLUSH_BYTES {
            let batch = std::mem::take(&mut *buffer);
            drop(buffer);
            io::stderr().lock().write_all(&batch)?;
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
