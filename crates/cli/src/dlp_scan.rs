//! `normverk dlp scan`: checks a draft SMS or e-mail before it is sent. Prints the findings,
//! never stores or logs the message.

use dlp::{Config, Input, Scanner, Verdict, MAX_MESSAGE_BYTES};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

fn fail(message: String) -> ExitCode {
    eprintln!("normverk: {message}");
    ExitCode::from(2)
}

/// Reads the message from FILE or standard input (`-` or none), at most the scanner's limit.
fn read_message(file: Option<&Path>) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let limit = MAX_MESSAGE_BYTES as u64 + 1;
    let read = match file {
        None => std::io::stdin().lock().take(limit).read_to_end(&mut bytes),
        Some(p) if p == Path::new("-") => std::io::stdin().lock().take(limit).read_to_end(&mut bytes),
        Some(p) => std::fs::File::open(p)
            .map_err(|e| format!("cannot open {}: {e}", p.display()))?
            .take(limit)
            .read_to_end(&mut bytes),
    };
    read.map_err(|e| format!("cannot read the message: {e}"))?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(format!("the message is larger than the limit of {MAX_MESSAGE_BYTES} bytes"));
    }
    Ok(bytes)
}

fn load_config(path: Option<&Path>) -> Result<Scanner, String> {
    let config = match path {
        None => Config::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
    };
    Scanner::new(config).map_err(|e| format!("the scanner configuration: {e}"))
}

/// Exit 0 when nothing blocks, 1 when something blocks, 2 when the message cannot be scanned.
pub fn run(file: Option<&Path>, email: bool, json: bool, config: Option<&Path>) -> ExitCode {
    let scanner = match load_config(config) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let bytes = match read_message(file) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let input = if email { Input::RawEmail(&bytes) } else { Input::Bytes(&bytes) };
    let report = match scanner.scan(&input) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        let verdict = match report.verdict {
            Verdict::Block => "BLOKKER: meldingen kan ikke sendes",
            Verdict::Warn => "ADVARSEL: meldingen bør ikke sendes slik",
            Verdict::Clean => "OK: ingen funn",
        };
        println!("{verdict}");
        if report.lossy {
            println!("(noen byte var ikke gyldig tekst og ble lest som \u{FFFD})");
        }
        for f in &report.findings {
            let shown = String::from_utf8_lossy(bytes.get(f.start..f.end).unwrap_or_default());
            println!(
                "  {} {} [{}, {}–{}] «{}»: {}",
                f.severity.as_str(),
                f.kind.as_str(),
                serde_json::to_value(f.part).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                f.start,
                f.end,
                shown.trim(),
                f.explanation
            );
        }
        if let Some(r) = &report.rewrite {
            println!("Forslag til tekst som kan sendes:\n  {r}");
        }
    }
    if report.verdict == Verdict::Block {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
