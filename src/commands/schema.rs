//! `tidsreg-gpt schema`: the Action schema for a URL, printed, written to a file, or
//! checked against the GPT Action rules.

use anyhow::{Context, Result};

use crate::schema::{self, Severity};
use crate::settings::cli::{SchemaArgs, SchemaFormat};

/// Writes (or with `--check`, checks) the schema `args` asks for.
pub fn run(args: SchemaArgs) -> Result<()> {
    match args.check {
        true => check(&args),
        false => write(args),
    }
}

/// The schema for `args.url`, from `--template` or the built-in template.
fn rendered(args: &SchemaArgs) -> Result<String> {
    Ok(match &args.template {
        Some(path) => {
            let template = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the template {}", path.display()))?;
            schema::render_template(&template, &args.url)?
        }
        None => schema::render(&args.url)?,
    })
}

fn check(args: &SchemaArgs) -> Result<()> {
    let problems = schema::check(&rendered(args)?);
    for problem in &problems {
        println!("{problem}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    anyhow::ensure!(
        errors == 0,
        "the schema has {errors} error(s); fix them in the template"
    );
    println!("schema OK: every GPT Action rule passes");
    Ok(())
}

fn write(args: SchemaArgs) -> Result<()> {
    let yaml = rendered(&args)?;
    let text = match args.format {
        SchemaFormat::Yaml => yaml,
        SchemaFormat::Json => schema::to_json(&yaml)?,
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
