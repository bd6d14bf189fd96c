//! The seeded, read-only catalog: exchanges, instruments and datastreams.
//!
//! Generated deterministically so every run (and every language's tests) sees the same ids.
//! Binance gets enough instruments to need several pages at the maximum `limit` of 1000.

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Exchange {
    pub code: &'static str,
    pub display_name: &'static str,
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub ordinal: u64,
    pub exchange: &'static str,
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub instrument_type: &'static str,
}

#[derive(Debug, Clone)]
pub struct Datastream {
    pub id: i64,
    pub exchange: &'static str,
    pub instrument: String,
    pub stream_type: &'static str,
    pub wire_format: &'static str,
}

/// Stream types served by the mock: the vocabulary the official clients use against the live API.
pub const STREAM_TYPES: [&str; 3] = ["trades", "depth", "ticker"];

pub struct Catalog {
    pub exchanges: Vec<Exchange>,
    pub instruments: Vec<Instrument>,
    pub datastreams: Vec<Datastream>,
}

const MAJORS: [&str; 24] = [
    "BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK", "LTC", "BCH", "TRX", "MATIC",
    "ATOM", "UNI", "ETC", "XLM", "FIL", "APT", "ARB", "OP", "NEAR", "AAVE", "SUI",
];

/// Symbols beyond the majors: deterministic pseudo-tickers so large exchanges are large.
fn synthetic_base(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let a = letters[i % 26] as char;
    let b = letters[(i / 26) % 26] as char;
    let c = letters[(i / 676) % 26] as char;
    format!("{c}{b}{a}X")
}

fn bases(n: usize) -> Vec<String> {
    MAJORS
        .iter()
        .map(|s| s.to_string())
        .chain(
            (0..)
                .map(synthetic_base)
                .filter(|b| !MAJORS.contains(&b.as_str())),
        )
        .take(n)
        .collect()
}

impl Catalog {
    pub fn seed() -> Self {
        let exchanges = vec![
            Exchange {
                code: "binance",
                display_name: "Binance",
            },
            Exchange {
                code: "coinbase",
                display_name: "Coinbase",
            },
            Exchange {
                code: "kraken",
                display_name: "Kraken",
            },
            Exchange {
                code: "okx_spot",
                display_name: "OKX Spot",
            },
            Exchange {
                code: "bybit_linear",
                display_name: "Bybit Linear",
            },
            Exchange {
                code: "bybit_spot",
                display_name: "Bybit Spot",
            },
        ];
        let mut instruments = Vec::new();
        let mut push = |exchange: &'static str, symbol: String, base: &str, quote: &str, ty| {
            instruments.push(Instrument {
                ordinal: instruments.len() as u64 + 1,
                exchange,
                symbol,
                base: base.to_string(),
                quote: quote.to_string(),
                instrument_type: ty,
            });
        };
        // binance: 1250 bases × 2 quotes = 2500 spot instruments (3 pages at limit 1000).
        for b in bases(1250) {
            for q in ["USDT", "BTC"] {
                if b != q {
                    push("binance", format!("{b}{q}"), &b, q, "spot");
                }
            }
        }
        for b in bases(60) {
            for q in ["USD", "EUR"] {
                push("coinbase", format!("{b}-{q}"), &b, q, "spot");
            }
        }
        // kraken symbols contain a slash: clients must percent-encode them as one path segment.
        for b in bases(40) {
            let kb = if b == "BTC" {
                "XBT".to_string()
            } else {
                b.clone()
            };
            for q in ["USD", "EUR"] {
                push("kraken", format!("{kb}/{q}"), &kb, q, "spot");
            }
        }
        for b in bases(80) {
            push("okx_spot", format!("{b}-USDT"), &b, "USDT", "spot");
        }
        for b in bases(120) {
            push("bybit_linear", format!("{b}USDT"), &b, "USDT", "perpetual");
        }
        for b in bases(80) {
            push("bybit_spot", format!("{b}USDT"), &b, "USDT", "spot");
        }
        let mut datastreams = Vec::with_capacity(instruments.len() * 3);
        for inst in &instruments {
            for st in STREAM_TYPES {
                datastreams.push(Datastream {
                    id: datastreams.len() as i64 + 1,
                    exchange: inst.exchange,
                    instrument: inst.symbol.clone(),
                    stream_type: st,
                    wire_format: "json",
                });
            }
        }
        Catalog {
            exchanges,
            instruments,
            datastreams,
        }
    }

    pub fn exchange(&self, code: &str) -> Option<&Exchange> {
        self.exchanges.iter().find(|e| e.code == code)
    }

    pub fn datastream(&self, id: i64) -> Option<&Datastream> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.datastreams.get(i))
    }
}

impl Exchange {
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "display_name": self.display_name })
    }
}

impl Instrument {
    pub fn to_json(&self) -> Value {
        json!({
            "symbol": self.symbol, "base": self.base, "quote": self.quote,
            "instrument_type": self.instrument_type,
        })
    }
}

impl Datastream {
    pub fn to_json(&self) -> Value {
        json!({
            "datastream_id": self.id, "exchange": self.exchange, "instrument": self.instrument,
            "stream_type": self.stream_type, "wire_format": self.wire_format,
        })
    }

    /// The export-schema category that this stream's data belongs to.
    pub fn category(&self) -> &'static str {
        match self.stream_type {
            "trades" => "trade",
            "depth" => "orderbook",
            _ => "ticker",
        }
    }
}
