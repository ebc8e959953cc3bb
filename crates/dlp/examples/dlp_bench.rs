//! Benchmarks of the message scanner (docs/benchmarks.md; bench/dlp.sh runs them all):
//!
//!     dlp_bench gen FILE BYTES      write BYTES of mixed Norwegian text: corpus messages among
//!                                   ordinary prose, messages separated by blank lines
//!     dlp_bench throughput FILE     scan FILE on one thread, in 1 MiB chunks and message by
//!                                   message; MB/s
//!     dlp_bench latency             in-process latency of one 160-character SMS (p50, p99)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dlp::{Input, Scanner};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::time::Instant;

const PROSE: &[&str] = &[
    "Takk for at du tok kontakt med oss i dag.",
    "Vi har oppdatert åpningstidene våre fra neste uke, og telefonen er betjent fra klokken åtte.",
    "Møtet om nytt journalsystem er flyttet til torsdag i kantina i andre etasje.",
    "Husk at parkeringsplassen foran bygget er reservert for besøkende med bevegelseshemming.",
    "Kommunen har vedtatt ny plan for helse- og omsorgstjenestene for perioden fram til 2030.",
    "Referatet fra forrige styremøte ligger i den felles mappen, og kommentarer sendes innen fredag.",
    "Vi ønsker alle en god jul og et godt nytt år, og takker for samarbeidet i året som gikk.",
    "Innkjøpsavdelingen minner om at bestillinger over 50 000 kroner må godkjennes av leder.",
    "Nettsidene våre har fått ny utforming, og det er nå enklere å finne fram på mobilen.",
    "Det blir brannøvelse onsdag klokken ti; følg skiltene til nærmeste nødutgang.",
    "Vaskeriet er stengt mandag på grunn av vedlikehold av maskinene.",
    "Alle ansatte må gjennomføre det årlige e-læringskurset i informasjonssikkerhet innen 1. mars.",
    "Ny leverandør av kontorrekvisita er valgt etter anbudskonkurransen i høst.",
    "Kantina serverer fiskesuppe på fredag, og kaffen er gratis hele uka.",
    "Ta kontakt med servicetorget dersom du har spørsmål om fakturaen eller betalingsfristen.",
    "Vi har fått mange hyggelige tilbakemeldinger på den nye timebestillingen på nett.",
    "Hjemmetjenesten får tre nye biler i vår, og de gamle selges på auksjon.",
    "Fra og med januar sender vi all post digitalt til dem som ikke har reservert seg.",
];

fn corpus() -> Vec<String> {
    include_str!("../corpus/corpus.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["text"].as_str().map(String::from))
        .collect()
}

fn generate(path: &str, bytes: u64) {
    let corpus = corpus();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut written = 0u64;
    while written < bytes {
        let mut message = String::new();
        if rng.gen_bool(0.3) {
            message.push_str(&corpus[rng.gen_range(0..corpus.len())]);
        } else {
            for _ in 0..rng.gen_range(2..12) {
                message.push_str(PROSE[rng.gen_range(0..PROSE.len())]);
                message.push(' ');
            }
        }
        message.push_str("\n\n");
        out.write_all(message.as_bytes()).unwrap();
        written += message.len() as u64;
    }
    out.flush().unwrap();
    println!("wrote {written} bytes to {path}");
}

fn throughput(path: &str) {
    let data = std::fs::read(path).unwrap();
    let scanner = Scanner::default();
    let mb = data.len() as f64 / 1e6;
    // Bulk: 1 MiB chunks cut at message boundaries.
    let started = Instant::now();
    let (mut findings, mut at) = (0usize, 0usize);
    while at < data.len() {
        let mut end = (at + (1 << 20)).min(data.len());
        while end < data.len() && !(data[end - 1] == b'\n' && data[end - 2] == b'\n') {
            end += 1;
        }
        findings += scanner.scan(&Input::Bytes(&data[at..end])).unwrap().findings.len();
        at = end;
    }
    let s = started.elapsed().as_secs_f64();
    println!("1 MiB chunks: {mb:.0} MB in {s:.2} s = {:.0} MB/s on one core ({findings} findings)", mb / s);
    // Message by message, as a gateway sees them.
    let started = Instant::now();
    let (mut findings, mut messages) = (0usize, 0usize);
    for m in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        findings += scanner.scan(&Input::Bytes(m)).unwrap().findings.len();
        messages += 1;
    }
    let s = started.elapsed().as_secs_f64();
    println!(
        "message by message: {messages} messages, {mb:.0} MB in {s:.2} s = {:.0} MB/s, {:.0} messages/s ({findings} findings)",
        mb / s,
        messages as f64 / s
    );
}

fn latency() {
    let scanner = Scanner::default();
    for sms in [
        "Påminnelse: Du har time hos Legesenteret i Nordbyen tirsdag 21. juli kl. 10.15. Ved forfall, gi beskjed senest 24 timer før på 22 11 22 11. Ikke svar.",
        "Påminnelse: Du har time på psykiatrisk poliklinikk tirsdag 21. juli kl. 10.15. Fnr 15108695088. Ved forfall, ring 22 11 22 11. Mvh DPS Nordre Aasen.",
    ] {
        let mut times = Vec::with_capacity(200_000);
        for i in 0..220_000 {
            let t = Instant::now();
            let r = scanner.scan(&Input::sms(sms)).unwrap();
            let e = t.elapsed();
            std::hint::black_box(r);
            if i >= 20_000 {
                times.push(e.as_nanos() as u64);
            }
        }
        times.sort_unstable();
        let q = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)] as f64 / 1000.0;
        println!(
            "{} chars: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
            sms.chars().count(),
            q(0.5),
            q(0.99),
            q(0.999),
            q(1.0)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => generate(&args[2], args[3].parse().unwrap()),
        Some("throughput") => throughput(&args[2]),
        Some("latency") => latency(),
        _ => eprintln!("usage: dlp_bench gen FILE BYTES | throughput FILE | latency"),
    }
}
