//! A short fuzzing run in CI; `cargo run --release -p dlp --example fuzz -- SECONDS` runs long.

use crate::fuzzing;

use rand::SeedableRng;

#[test]
fn the_scanner_parsers_and_mime_reader_never_panic() {
    let corpus: Vec<String> = include_str!("../../corpus/corpus.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["text"].as_str().map(String::from))
        .collect();
    let scanner = dlp::Scanner::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for _ in 0..3_000 {
        let bytes = fuzzing::input(&mut rng, &corpus);
        fuzzing::check(&scanner, &bytes);
    }
}

#[test]
fn hostile_shapes_stay_fast_and_bounded() {
    let scanner = dlp::Scanner::default();
    // One megabyte "word" of a pattern repeated, digits without end, nested tags, endless parts.
    let word = "kreft".repeat(200_000);
    let digits = "1".repeat(1_000_000);
    let tags = "<b>".repeat(300_000);
    let parts = format!(
        "Content-Type: multipart/mixed; boundary=a\r\n\r\n{}",
        "--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n".repeat(20_000)
    );
    for text in [&word, &digits, &tags, &parts] {
        let started = std::time::Instant::now();
        let r = scanner.scan(&dlp::Input::RawEmail(text.as_bytes())).unwrap();
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        let _ = r;
        let _ = scanner.scan(&dlp::Input::Email { subject: "", body: text, html: true, sender: None }).unwrap();
    }
    let too_big = vec![b'a'; dlp::MAX_MESSAGE_BYTES + 1];
    assert!(matches!(scanner.scan(&dlp::Input::Bytes(&too_big)), Err(dlp::Error::TooLarge { .. })));
}

#[test]
fn dense_hostile_input_is_not_quadratic() {
    let scanner = dlp::Scanner::default();
    // Every number beside a context word and a department; every header an unfinished word.
    let dense = "fnr 15108695088 psykiatri 22 11 22 11 F32 depresjon ".repeat(40_000);
    let header = format!("Subject: {}\r\n\r\nx", "=?".repeat(500_000));
    for bytes in [dense.as_bytes(), header.as_bytes()] {
        let started = std::time::Instant::now();
        let r = scanner.scan(&dlp::Input::RawEmail(bytes)).unwrap();
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        std::hint::black_box(r);
    }
}
