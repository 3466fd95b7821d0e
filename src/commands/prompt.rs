//! Questions on the terminal, for `init` and `login`. Answers come from standard input
//! line by line, so scripts and tests can answer too; secrets are hidden on a terminal.

use std::io::{self, BufRead, IsTerminal, Lines, StdinLock, Write};

use anyhow::{Context, Result};

use crate::settings::secret::Secret;

/// Standard input, one answer per line.
pub struct Prompt {
    lines: Lines<StdinLock<'static>>,
}

impl Default for Prompt {
    fn default() -> Self {
        Self {
            lines: io::stdin().lock().lines(),
        }
    }
}

impl Prompt {
    /// Asks and answers the trimmed line (empty at end of input).
    pub fn ask(&mut self, question: &str) -> Result<String> {
        Ok(self.line(question)?.trim().to_string())
    }

    /// Asks for a secret: hidden on a terminal, so it does not stay on screen; a plain
    /// line otherwise. Not trimmed: a password may begin or end with a space.
    pub fn ask_secret(&mut self, question: &str) -> Result<Secret> {
        if io::stdin().is_terminal() {
            let answer = rpassword::prompt_password(question).context("cannot read the answer")?;
            return Ok(Secret::new(answer));
        }
        Ok(Secret::new(self.line(question)?))
    }

    /// Prints `question` and reads one line as typed (empty at end of input).
    fn line(&mut self, question: &str) -> Result<String> {
        print!("{question}");
        io::stdout().flush().ok();
        let line = self
            .lines
            .next()
            .transpose()
            .context("cannot read the answer")?;
        Ok(line.unwrap_or_default())
    }
}
