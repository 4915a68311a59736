//! Typed values of the non-content keywords (integers with operators, byte_* keywords, flow,
//! flowbits, xbits, flowint, thresholds, TCP/IP header keywords, ...), each with its parser.

use crate::content::NumOrVar;
use crate::error::{Result, invalid};
use serde::Serialize;

/// Comparison mode of Suricata's integer keywords (`dsize`, `bsize`, `ttl`, `urilen`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UintMode {
    /// `N` or `=N`
    Eq,
    /// `!N` or `!=N`
    Ne,
    /// `<N`
    Lt,
    /// `<=N`
    Le,
    /// `>N`
    Gt,
    /// `>=N`
    Ge,
    /// `A-B` or `A<>B`: strictly between A and B.
    Range,
}

/// An integer comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UintMatch {
    /// Operator.
    pub mode: UintMode,
    /// First operand.
    pub arg1: u64,
    /// Second operand (upper bound of `Range`; 0 otherwise).
    pub arg2: u64,
}

impl UintMatch {
    /// Does `v` satisfy the comparison?
    pub fn matches(&self, v: u64) -> bool {
        match self.mode {
            UintMode::Eq => v == self.arg1,
            UintMode::Ne => v != self.arg1,
            UintMode::Lt => v < self.arg1,
            UintMode::Le => v <= self.arg1,
            UintMode::Gt => v > self.arg1,
            UintMode::Ge => v >= self.arg1,
            UintMode::Range => v > self.arg1 && v < self.arg2,
        }
    }

    /// Largest value that can match, if bounded (Suricata's "max" used for bsize/dsize validation).
    pub fn max_for_validation(&self) -> Option<u64> {
        match self.mode {
            UintMode::Lt | UintMode::Eq => Some(self.arg1),
            UintMode::Range => Some(self.arg2),
            _ => None,
        }
    }
}

fn digits(s: &str) -> Option<(&str, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s.get(..end)?, s.get(end..)?))
}

/// Parse Suricata's unsigned integer syntax with values limited to `max`.
/// Units `kb`, `mb`, `gb` are accepted after a plain/`=` value when `units` is set.
pub fn parse_uint(kw: &str, s: &str, max: u64, units: bool) -> Result<UintMatch> {
    let bad = || invalid(kw, format!("invalid integer expression \"{s}\""));
    let t = s.trim_matches(' ');
    let num = |x: &str| -> Result<u64> {
        let v: u64 = x.parse().map_err(|_| bad())?;
        if v > max {
            return Err(invalid(kw, format!("value {v} out of range (max {max})")));
        }
        Ok(v)
    };
    // range A-B / A<>B
    if let Some((a, rest)) = digits(t) {
        let r = rest.trim_start_matches(' ');
        let r2 = r.strip_prefix("<>").or_else(|| r.strip_prefix('-'));
        if let Some(r2) = r2 {
            let b = r2.trim_matches(' ');
            let x = num(a)?;
            let y = num(b)?;
            if !(y > x && y - x > 1) {
                return Err(invalid(
                    kw,
                    format!(
                        "invalid range \"{s}\": the upper bound must exceed the lower by 2 or more"
                    ),
                ));
            }
            return Ok(UintMatch {
                mode: UintMode::Range,
                arg1: x,
                arg2: y,
            });
        }
    }
    let (mode, rest) = if let Some(r) = t.strip_prefix(">=") {
        (UintMode::Ge, r)
    } else if let Some(r) = t.strip_prefix("<=") {
        (UintMode::Le, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (UintMode::Gt, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (UintMode::Lt, r)
    } else if let Some(r) = t.strip_prefix("!=") {
        (UintMode::Ne, r)
    } else if let Some(r) = t.strip_prefix('!') {
        (UintMode::Ne, r)
    } else if let Some(r) = t.strip_prefix('=') {
        (UintMode::Eq, r)
    } else {
        (UintMode::Eq, t)
    };
    let rest = rest.trim_matches(' ');
    let (n, suffix) = digits(rest).ok_or_else(bad)?;
    let mut v: u64 = n.parse().map_err(|_| bad())?;
    if !suffix.is_empty() {
        let mult = match suffix.to_ascii_lowercase().as_str() {
            "kb" if units && mode == UintMode::Eq => 1024u64,
            "mb" if units && mode == UintMode::Eq => 1024 * 1024,
            "gb" if units && mode == UintMode::Eq => 1024 * 1024 * 1024,
            _ => return Err(bad()),
        };
        v = v.checked_mul(mult).ok_or_else(bad)?;
    }
    if v > max {
        return Err(invalid(kw, format!("value {v} out of range (max {max})")));
    }
    match mode {
        UintMode::Lt | UintMode::Ge if v == 0 => {
            return Err(invalid(kw, format!("\"{s}\" can never/always match")));
        }
        UintMode::Gt | UintMode::Le if v == max => {
            return Err(invalid(kw, format!("\"{s}\" can never/always match")));
        }
        _ => {}
    }
    Ok(UintMatch {
        mode,
        arg1: v,
        arg2: 0,
    })
}

/// Parse a number as Suricata's byte_* keywords do: decimal, `0x` hex, or leading-`0` octal.
pub fn parse_num_auto(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(s.get(1..)?, 8).ok()
    } else {
        s.parse().ok()
    }
}

fn parse_i32(kw: &str, s: &str) -> Result<i32> {
    s.trim()
        .parse::<i32>()
        .map_err(|_| invalid(kw, format!("invalid number \"{}\"", s.trim())))
}

/// A literal or a variable reference (a name starting with a letter).
pub(crate) fn num_or_var(kw: &str, s: &str, min: i64, max: i64) -> Result<NumOrVar> {
    let s = s.trim();
    if s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return Ok(NumOrVar::Var(s.to_string()));
    }
    let v: i64 = s
        .parse()
        .map_err(|_| invalid(kw, format!("invalid number \"{s}\"")))?;
    if v < min || v > max {
        return Err(invalid(
            kw,
            format!("value {v} out of range ({min}..{max})"),
        ));
    }
    i32::try_from(v)
        .map(NumOrVar::Num)
        .map_err(|_| invalid(kw, "value out of range"))
}

/// Byte order of the byte_* keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Endian {
    /// Big endian (default).
    #[default]
    Big,
    /// Little endian.
    Little,
    /// Decided by the DCE/RPC layer.
    Dce,
}

/// Number base of `string` conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumBase {
    /// Hexadecimal text.
    Hex,
    /// Decimal text.
    Dec,
    /// Octal text.
    Oct,
}

fn base(kw: &str, s: &str) -> Result<NumBase> {
    match s.trim() {
        "hex" => Ok(NumBase::Hex),
        "dec" => Ok(NumBase::Dec),
        "oct" => Ok(NumBase::Oct),
        o => Err(invalid(kw, format!("unknown string base \"{o}\""))),
    }
}

/// The number of bytes for byte_test/byte_jump: a count or a variable.
pub type NBytes = NumOrVar;

/// `byte_test` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ByteTestOp {
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `=`
    Eq,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `&` (bitwise AND is non-zero)
    And,
    /// `^` (bitwise OR/XOR is non-zero)
    Or,
}

/// `byte_test`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ByteTest {
    /// Bytes to read (1-8, or up to 23 with `string`), or a variable.
    pub nbytes: NBytes,
    /// Operator is negated (`!`).
    pub negated: bool,
    /// Operator.
    pub op: ByteTestOp,
    /// Value to compare with (literal or variable).
    pub value: ValueOrVar,
    /// Offset (literal or variable).
    pub offset: NumOrVar,
    /// Relative to the previous match.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// Convert from text in this base.
    pub string: Option<NumBase>,
    /// Bitmask applied before comparing.
    pub bitmask: Option<u32>,
}

/// A u64 literal or a variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum ValueOrVar {
    /// Literal.
    Num(u64),
    /// Variable name.
    Var(String),
}

fn value_or_var(kw: &str, s: &str) -> Result<ValueOrVar> {
    let s = s.trim();
    if s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return Ok(ValueOrVar::Var(s.to_string()));
    }
    parse_num_auto(s)
        .map(ValueOrVar::Num)
        .ok_or_else(|| invalid(kw, format!("invalid value \"{s}\"")))
}

fn nbytes(kw: &str, s: &str) -> Result<NBytes> {
    num_or_var(kw, s, 0, 64)
}

fn bitmask(kw: &str, s: &str) -> Result<u32> {
    parse_num_auto(s)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| invalid(kw, format!("invalid bitmask \"{}\"", s.trim())))
}

fn check_nbytes(kw: &str, n: &NBytes, string: bool, max_plain: i32) -> Result<()> {
    if let NumOrVar::Num(n) = n {
        let max = if string { 23 } else { max_plain };
        // Suricata accepts 0 for byte_test/byte_jump (then nothing is read)
        let min = if kw == "byte_math" { 1 } else { 0 };
        if *n < min || *n > max {
            return Err(invalid(
                kw,
                format!("number of bytes {n} out of range (1..{max})"),
            ));
        }
    }
    Ok(())
}

/// Parse `byte_test`.
pub fn parse_byte_test(s: &str) -> Result<ByteTest> {
    const KW: &str = "byte_test";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() < 4 {
        return Err(invalid(
            KW,
            "needs at least: nbytes, operator, value, offset",
        ));
    }
    let nb = nbytes(KW, parts.first().copied().unwrap_or(""))?;
    let mut opstr = parts.get(1).copied().unwrap_or("").trim();
    let mut negated = false;
    if let Some(r) = opstr.strip_prefix('!') {
        negated = true;
        opstr = r.trim();
    }
    let op = match opstr {
        "<" => ByteTestOp::Lt,
        ">" => ByteTestOp::Gt,
        "=" => ByteTestOp::Eq,
        "<=" => ByteTestOp::Le,
        ">=" => ByteTestOp::Ge,
        "&" => ByteTestOp::And,
        "^" => ByteTestOp::Or,
        o => return Err(invalid(KW, format!("invalid operator \"{o}\""))),
    };
    let value = value_or_var(KW, parts.get(2).copied().unwrap_or(""))?;
    let offset = num_or_var(KW, parts.get(3).copied().unwrap_or(""), -65535, 65535)?;
    let mut bt = ByteTest {
        nbytes: nb,
        negated,
        op,
        value,
        offset,
        relative: false,
        endian: Endian::Big,
        string: None,
        bitmask: None,
    };
    let mut i = 4;
    let mut endian_set = false;
    let mut string_seen = false;
    let mut base_seen = false;
    while let Some(p) = parts.get(i) {
        let (k, arg) = p
            .split_once(' ')
            .map(|(a, b)| (a, Some(b.trim())))
            .unwrap_or((p, None));
        match k {
            "relative" => bt.relative = true,
            "big" | "little" | "dce" => {
                if endian_set {
                    return Err(invalid(KW, "endianness given twice"));
                }
                endian_set = true;
                bt.endian = match k {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    _ => Endian::Dce,
                };
            }
            // `string` sets text conversion (base defaults to dec); the base is its own item
            "string" => {
                bt.string = Some(match arg {
                    Some(a) => base(KW, a)?,
                    None => bt.string.unwrap_or(NumBase::Dec),
                });
                string_seen = true;
            }
            "hex" | "dec" | "oct" => {
                bt.string = Some(base(KW, k)?);
                base_seen = true;
            }
            "bitmask" => bt.bitmask = Some(bitmask(KW, arg.unwrap_or(""))?),
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
        i += 1;
    }
    if base_seen && !string_seen {
        return Err(invalid(KW, "cannot use a base without \"string\""));
    }
    check_nbytes(KW, &bt.nbytes, bt.string.is_some(), 8)?;
    Ok(bt)
}

/// `byte_jump`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ByteJump {
    /// Bytes to read (or a variable).
    pub nbytes: NBytes,
    /// Offset (literal or variable).
    pub offset: NumOrVar,
    /// Relative to the previous match.
    pub relative: bool,
    /// Multiply the value by this.
    pub multiplier: Option<u32>,
    /// Byte order.
    pub endian: Endian,
    /// Convert from text.
    pub string: Option<NumBase>,
    /// Round the jump up to a 32-bit boundary.
    pub align: bool,
    /// Jump from the start of the buffer.
    pub from_beginning: bool,
    /// Jump from the end of the buffer.
    pub from_end: bool,
    /// Additional offset after the jump.
    pub post_offset: Option<i32>,
    /// Bitmask applied to the value.
    pub bitmask: Option<u32>,
}

/// Parse `byte_jump`.
pub fn parse_byte_jump(s: &str) -> Result<ByteJump> {
    const KW: &str = "byte_jump";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() < 2 {
        return Err(invalid(KW, "needs at least: nbytes, offset"));
    }
    let mut bj = ByteJump {
        nbytes: nbytes(KW, parts.first().copied().unwrap_or(""))?,
        offset: num_or_var(KW, parts.get(1).copied().unwrap_or(""), -65535, 65535)?,
        relative: false,
        multiplier: None,
        endian: Endian::Big,
        string: None,
        align: false,
        from_beginning: false,
        from_end: false,
        post_offset: None,
        bitmask: None,
    };
    let mut i = 2;
    let mut string_seen = false;
    let mut base_seen = false;
    while let Some(p) = parts.get(i) {
        let (k, arg) = p
            .split_once(' ')
            .map(|(a, b)| (a, Some(b.trim())))
            .unwrap_or((p, None));
        match k {
            "relative" => bj.relative = true,
            "align" => bj.align = true,
            "from_beginning" => bj.from_beginning = true,
            "from_end" => bj.from_end = true,
            "big" => bj.endian = Endian::Big,
            "little" => bj.endian = Endian::Little,
            "dce" => bj.endian = Endian::Dce,
            "string" => {
                bj.string = Some(match arg {
                    Some(a) => base(KW, a)?,
                    None => bj.string.unwrap_or(NumBase::Dec),
                });
                string_seen = true;
            }
            "hex" | "dec" | "oct" => {
                bj.string = Some(base(KW, k)?);
                base_seen = true;
            }
            "multiplier" => {
                let v = arg
                    .and_then(parse_num_auto)
                    .and_then(|v| u32::try_from(v).ok());
                match v {
                    Some(v) if (1..=65535).contains(&v) => bj.multiplier = Some(v),
                    _ => return Err(invalid(KW, "invalid multiplier")),
                }
            }
            "post_offset" => bj.post_offset = Some(parse_i32(KW, arg.unwrap_or(""))?),
            "bitmask" => bj.bitmask = Some(bitmask(KW, arg.unwrap_or(""))?),
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
        i += 1;
    }
    if base_seen && !string_seen {
        return Err(invalid(KW, "cannot use a base without \"string\""));
    }
    if bj.from_beginning && bj.from_end {
        return Err(invalid(
            KW,
            "from_beginning and from_end are mutually exclusive",
        ));
    }
    check_nbytes(KW, &bj.nbytes, bj.string.is_some(), 8)?;
    Ok(bj)
}

/// `byte_extract`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ByteExtract {
    /// Bytes to read (1-8, or up to 23 with `string`).
    pub nbytes: u8,
    /// Offset.
    pub offset: i32,
    /// Variable name to store the value in.
    pub name: String,
    /// Relative to the previous match.
    pub relative: bool,
    /// Multiply by this.
    pub multiplier: Option<u32>,
    /// Byte order.
    pub endian: Endian,
    /// Convert from text.
    pub string: Option<NumBase>,
    /// Round up to a multiple of this (2 or 4).
    pub align: Option<u8>,
}

fn var_name(kw: &str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty()
        || !s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return Err(invalid(kw, format!("invalid variable name \"{s}\"")));
    }
    Ok(s.to_string())
}

/// Parse `byte_extract`.
pub fn parse_byte_extract(s: &str) -> Result<ByteExtract> {
    const KW: &str = "byte_extract";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() < 3 {
        return Err(invalid(KW, "needs at least: nbytes, offset, name"));
    }
    let n = parts
        .first()
        .and_then(|p| p.parse::<u8>().ok())
        .ok_or_else(|| invalid(KW, "invalid number of bytes"))?;
    let mut be = ByteExtract {
        nbytes: n,
        offset: parse_i32(KW, parts.get(1).copied().unwrap_or(""))?,
        name: var_name(KW, parts.get(2).copied().unwrap_or(""))?,
        relative: false,
        multiplier: None,
        endian: Endian::Big,
        string: None,
        align: None,
    };
    let mut i = 3;
    while let Some(p) = parts.get(i) {
        let (k, arg) = p
            .split_once(' ')
            .map(|(a, b)| (a, Some(b.trim())))
            .unwrap_or((p, None));
        match k {
            "relative" => be.relative = true,
            "big" => be.endian = Endian::Big,
            "little" => be.endian = Endian::Little,
            "dce" => be.endian = Endian::Dce,
            "string" => {
                let b = match arg {
                    Some(a) => Some(a),
                    None => match parts.get(i + 1) {
                        Some(n) if matches!(*n, "hex" | "dec" | "oct") => {
                            i += 1;
                            Some(*n)
                        }
                        _ => None,
                    },
                };
                be.string = Some(match b {
                    Some(b) => base(KW, b)?,
                    None => NumBase::Dec,
                });
            }
            "hex" | "dec" | "oct" => be.string = Some(base(KW, k)?),
            "multiplier" => {
                let v = arg
                    .and_then(parse_num_auto)
                    .and_then(|v| u32::try_from(v).ok());
                match v {
                    Some(v) if (1..=65535).contains(&v) => be.multiplier = Some(v),
                    _ => return Err(invalid(KW, "invalid multiplier")),
                }
            }
            "align" => match arg.and_then(|a| a.parse::<u8>().ok()) {
                Some(a @ (2 | 4)) => be.align = Some(a),
                _ => return Err(invalid(KW, "align must be 2 or 4")),
            },
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
        i += 1;
    }
    let max = if be.string.is_some() { 23 } else { 8 };
    if be.nbytes < 1 || be.nbytes > max {
        return Err(invalid(
            KW,
            format!("number of bytes {} out of range (1..{max})", be.nbytes),
        ));
    }
    if be.string.is_some() && be.endian != Endian::Big {
        return Err(invalid(
            KW,
            "string conversion cannot be combined with an endianness",
        ));
    }
    Ok(be)
}

/// `byte_math` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MathOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

/// `byte_math`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ByteMath {
    /// Bytes to read (or a variable).
    pub nbytes: NBytes,
    /// Offset.
    pub offset: i32,
    /// Operator.
    pub oper: MathOp,
    /// Right operand (literal or variable).
    pub rvalue: ValueOrVar,
    /// Result variable.
    pub result: String,
    /// Relative to the previous match.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// Convert from text.
    pub string: Option<NumBase>,
    /// Bitmask applied to the extracted value.
    pub bitmask: Option<u32>,
}

/// Parse `byte_math`.
pub fn parse_byte_math(s: &str) -> Result<ByteMath> {
    const KW: &str = "byte_math";
    let mut nb = None;
    let mut offset = None;
    let mut oper = None;
    let mut rvalue = None;
    let mut result = None;
    let mut bm_rel = false;
    let mut endian = Endian::Big;
    let mut string = None;
    let mut bm = None;
    for p in s.split(',').map(str::trim) {
        let (k, arg) = p
            .split_once(' ')
            .map(|(a, b)| (a, b.trim()))
            .unwrap_or((p, ""));
        match k {
            "bytes" => nb = Some(nbytes(KW, arg)?),
            "offset" => offset = Some(parse_i32(KW, arg)?),
            "oper" => {
                oper = Some(match arg {
                    "+" => MathOp::Add,
                    "-" => MathOp::Sub,
                    "*" => MathOp::Mul,
                    "/" => MathOp::Div,
                    "<<" => MathOp::Shl,
                    ">>" => MathOp::Shr,
                    o => return Err(invalid(KW, format!("invalid operator \"{o}\""))),
                })
            }
            "rvalue" => rvalue = Some(value_or_var(KW, arg)?),
            "result" => result = Some(var_name(KW, arg)?),
            "relative" => bm_rel = true,
            "endian" => {
                endian = match arg {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    "dce" => Endian::Dce,
                    o => return Err(invalid(KW, format!("invalid endian \"{o}\""))),
                }
            }
            "dce" => endian = Endian::Dce,
            "string" => string = Some(base(KW, arg)?),
            "bitmask" => bm = Some(bitmask(KW, arg)?),
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
    }
    let math = ByteMath {
        nbytes: nb.ok_or_else(|| invalid(KW, "missing 'bytes'"))?,
        offset: offset.ok_or_else(|| invalid(KW, "missing 'offset'"))?,
        oper: oper.ok_or_else(|| invalid(KW, "missing 'oper'"))?,
        rvalue: rvalue.ok_or_else(|| invalid(KW, "missing 'rvalue'"))?,
        result: result.ok_or_else(|| invalid(KW, "missing 'result'"))?,
        relative: bm_rel,
        endian,
        string,
        bitmask: bm,
    };
    check_nbytes(KW, &math.nbytes, math.string.is_some(), 4)?;
    if string.is_some() && endian != Endian::Big {
        return Err(invalid(
            KW,
            "string conversion cannot be combined with an endianness",
        ));
    }
    Ok(math)
}

/// `isdataat`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IsDataAt {
    /// Position (literal or variable).
    pub pos: NumOrVar,
    /// `!`: there must NOT be data at that position.
    pub negated: bool,
    /// Relative to the previous match.
    pub relative: bool,
    /// `rawbytes` (no effect).
    pub rawbytes: bool,
}

/// Parse `isdataat`.
pub fn parse_isdataat(s: &str) -> Result<IsDataAt> {
    const KW: &str = "isdataat";
    let mut parts = s.split(',').map(str::trim);
    let first = parts.next().unwrap_or("");
    let (negated, pos) = match first.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, first),
    };
    let mut d = IsDataAt {
        pos: num_or_var(KW, pos, 0, 65535)?,
        negated,
        relative: false,
        rawbytes: false,
    };
    for p in parts {
        match p {
            "relative" => d.relative = true,
            "rawbytes" => d.rawbytes = true,
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
    }
    Ok(d)
}

/// `flow` keyword settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Flow {
    /// `established`
    pub established: bool,
    /// `not_established`
    pub not_established: bool,
    /// `stateless`
    pub stateless: bool,
    /// `to_server` / `from_client`
    pub to_server: bool,
    /// `to_client` / `from_server`
    pub to_client: bool,
    /// `only_stream`
    pub only_stream: bool,
    /// `no_stream`
    pub no_stream: bool,
    /// `only_frag`
    pub only_frag: bool,
    /// `no_frag`
    pub no_frag: bool,
}

/// Parse `flow`.
pub fn parse_flow(s: &str) -> Result<Flow> {
    const KW: &str = "flow";
    let mut f = Flow::default();
    for p in s.split(',').map(str::trim) {
        let slot = match p.to_ascii_lowercase().as_str() {
            "established" => &mut f.established,
            "not_established" => &mut f.not_established,
            "stateless" => &mut f.stateless,
            "to_server" | "from_client" => &mut f.to_server,
            "to_client" | "from_server" => &mut f.to_client,
            "only_stream" => &mut f.only_stream,
            "no_stream" => &mut f.no_stream,
            "only_frag" => &mut f.only_frag,
            "no_frag" => &mut f.no_frag,
            "" => return Err(invalid(KW, "empty flow option")),
            o => return Err(invalid(KW, format!("unknown flow option \"{o}\""))),
        };
        if *slot {
            return Err(invalid(KW, format!("\"{p}\" given twice")));
        }
        *slot = true;
    }
    let conflict = |a: bool, b: bool, what: &str| -> Result<()> {
        if a && b {
            Err(invalid(KW, format!("cannot combine {what}")))
        } else {
            Ok(())
        }
    };
    conflict(f.to_server, f.to_client, "to_server and to_client")?;
    conflict(
        f.established,
        f.not_established,
        "established and not_established",
    )?;
    conflict(
        f.established || f.not_established,
        f.stateless,
        "a connection state with stateless",
    )?;
    conflict(f.only_stream, f.no_stream, "only_stream and no_stream")?;
    conflict(f.only_frag, f.no_frag, "only_frag and no_frag")?;
    Ok(f)
}

/// Command of `flowbits`/`xbits`/`hostbits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BitCmd {
    /// Set the bit.
    Set,
    /// Clear the bit.
    Unset,
    /// Flip the bit.
    Toggle,
    /// Match if set.
    IsSet,
    /// Match if not set.
    IsNotSet,
}

impl BitCmd {
    /// True for the commands that are conditions (isset/isnotset) rather than actions.
    pub fn is_condition(self) -> bool {
        matches!(self, BitCmd::IsSet | BitCmd::IsNotSet)
    }
}

/// `flowbits` (other than `noalert`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Flowbits {
    /// Command.
    pub cmd: BitCmd,
    /// Bit names; more than one means "any of" (`a|b`, isset/isnotset only).
    pub names: Vec<String>,
}

/// Parsed `flowbits` value: either a bit command or `noalert`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum FlowbitsKw {
    /// A bit command.
    Bits(Flowbits),
    /// `flowbits:noalert`.
    NoAlert,
}

fn bit_cmd(kw: &str, s: &str) -> Result<BitCmd> {
    Ok(match s {
        "set" => BitCmd::Set,
        "unset" => BitCmd::Unset,
        "toggle" => BitCmd::Toggle,
        "isset" => BitCmd::IsSet,
        "isnotset" => BitCmd::IsNotSet,
        o => return Err(invalid(kw, format!("unknown command \"{o}\""))),
    })
}

/// Parse `flowbits`.
pub fn parse_flowbits(s: &str) -> Result<FlowbitsKw> {
    const KW: &str = "flowbits";
    let (cmd, name) = match s.split_once(',') {
        Some((c, n)) => (c.trim(), Some(n.trim())),
        None => (s.trim(), None),
    };
    if cmd == "noalert" {
        if name.is_some_and(|n| !n.is_empty()) {
            return Err(invalid(KW, "noalert takes no name"));
        }
        return Ok(FlowbitsKw::NoAlert);
    }
    let cmd = bit_cmd(KW, cmd)?;
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid(KW, "missing flowbit name"))?;
    let names: Vec<String> = if name.contains('|') {
        if !cmd.is_condition() {
            return Err(invalid(
                KW,
                "'|' (any of) is only allowed with isset/isnotset",
            ));
        }
        let mut v = Vec::new();
        for n in name.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            if n.contains([' ', '\t']) {
                return Err(invalid(KW, "spaces are not allowed in flowbit names"));
            }
            v.push(n.to_string());
        }
        if v.is_empty() {
            return Err(invalid(KW, "no valid flowbits specified"));
        }
        v
    } else {
        if name.contains([' ', '\t']) {
            return Err(invalid(KW, "spaces are not allowed in flowbit names"));
        }
        vec![name.to_string()]
    };
    Ok(FlowbitsKw::Bits(Flowbits { cmd, names }))
}

/// What an `xbits`/`hostbits` bit is tracked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum XbitTrack {
    /// Source IP.
    IpSrc,
    /// Destination IP.
    IpDst,
    /// The IP pair.
    IpPair,
    /// Either IP (hostbits `both`).
    Both,
}

/// `xbits` / `hostbits`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Xbits {
    /// Command.
    pub cmd: BitCmd,
    /// Bit name.
    pub name: String,
    /// Tracker.
    pub track: XbitTrack,
    /// Expiry in seconds.
    pub expire: Option<u32>,
}

/// Parse `xbits` (also used for `hostbits`, where `track` may be omitted: then `ip_src`... as Suricata, `both` allowed).
pub fn parse_xbits(kw: &str, s: &str) -> Result<Option<Xbits>> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let cmd_s = parts.first().copied().unwrap_or("");
    if cmd_s == "noalert" {
        return Ok(None);
    }
    let cmd = bit_cmd(kw, cmd_s)?;
    let name = parts
        .get(1)
        .copied()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid(kw, "missing bit name"))?;
    if name.contains([' ', '\t']) {
        return Err(invalid(kw, "spaces are not allowed in bit names"));
    }
    let mut track = None;
    let mut expire = None;
    for p in parts.iter().skip(2) {
        let (k, v) = p
            .split_once(' ')
            .map(|(a, b)| (a, b.trim()))
            .unwrap_or((p, ""));
        match k {
            "track" => {
                track = Some(match v {
                    "ip_src" => XbitTrack::IpSrc,
                    "ip_dst" => XbitTrack::IpDst,
                    "ip_pair" if kw == "xbits" => XbitTrack::IpPair,
                    "both" if kw == "hostbits" => XbitTrack::Both,
                    o => return Err(invalid(kw, format!("invalid track \"{o}\""))),
                })
            }
            "expire" => {
                let e: u32 = v
                    .parse()
                    .map_err(|_| invalid(kw, format!("invalid expire \"{v}\"")))?;
                if e == 0 {
                    return Err(invalid(kw, "expire must be > 0"));
                }
                expire = Some(e);
            }
            "" => {}
            o => return Err(invalid(kw, format!("unknown option \"{o}\""))),
        }
    }
    let track = match track {
        Some(t) => t,
        None if kw == "hostbits" => XbitTrack::IpSrc,
        None => return Err(invalid(kw, "missing 'track'")),
    };
    Ok(Some(Xbits {
        cmd,
        name: name.to_string(),
        track,
        expire,
    }))
}

/// `flowint` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowintOp {
    /// `=` assign
    Set,
    /// `+` add
    Add,
    /// `-` subtract
    Sub,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `isset`
    IsSet,
    /// `notset` / `isnotset`
    NotSet,
}

/// `flowint`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Flowint {
    /// Variable name.
    pub name: String,
    /// Operator.
    pub op: FlowintOp,
    /// Operand (absent for isset/notset).
    pub value: Option<ValueOrVar>,
}

impl FlowintOp {
    /// True for the operators that modify the variable.
    pub fn is_modifier(self) -> bool {
        matches!(self, FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub)
    }
}

/// Parse `flowint`.
pub fn parse_flowint(s: &str) -> Result<Flowint> {
    const KW: &str = "flowint";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let name = parts
        .first()
        .copied()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid(KW, "missing name"))?;
    let op = match parts.get(1).copied().unwrap_or("") {
        "=" => FlowintOp::Set,
        "+" => FlowintOp::Add,
        "-" => FlowintOp::Sub,
        "==" => FlowintOp::Eq,
        "!=" => FlowintOp::Ne,
        "<" => FlowintOp::Lt,
        "<=" => FlowintOp::Le,
        ">" => FlowintOp::Gt,
        ">=" => FlowintOp::Ge,
        "isset" => FlowintOp::IsSet,
        "notset" | "isnotset" => FlowintOp::NotSet,
        o => return Err(invalid(KW, format!("invalid operator \"{o}\""))),
    };
    let value = match op {
        FlowintOp::IsSet | FlowintOp::NotSet => {
            if parts.len() > 2 {
                return Err(invalid(KW, "isset/notset take no value"));
            }
            None
        }
        _ => {
            let v = parts
                .get(2)
                .copied()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(KW, "missing value"))?;
            if parts.len() > 3 {
                return Err(invalid(KW, "too many arguments"));
            }
            let vv = value_or_var(KW, v)?;
            if let ValueOrVar::Num(n) = vv
                && n > u64::from(u32::MAX)
            {
                return Err(invalid(KW, "value out of range"));
            }
            Some(vv)
        }
    };
    Ok(Flowint {
        name: name.to_string(),
        op,
        value,
    })
}

/// Threshold type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdType {
    /// Alert at most `count` times per `seconds`.
    Limit,
    /// Alert every `count`th match per `seconds`.
    Threshold,
    /// Alert once per `seconds` after `count` matches.
    Both,
    /// `detection_filter`: alert on every match after `count` within `seconds`.
    DetectionFilter,
}

/// What a threshold counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// Source address.
    BySrc,
    /// Destination address.
    ByDst,
    /// The rule as a whole.
    ByRule,
    /// Address pair.
    ByBoth,
    /// Flow.
    ByFlow,
}

fn track(kw: &str, s: &str) -> Result<Track> {
    Ok(match s {
        "by_src" => Track::BySrc,
        "by_dst" => Track::ByDst,
        "by_rule" => Track::ByRule,
        "by_both" => Track::ByBoth,
        "by_flow" => Track::ByFlow,
        o => return Err(invalid(kw, format!("invalid track \"{o}\""))),
    })
}

/// `threshold` / `detection_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Threshold {
    /// Type.
    pub kind: ThresholdType,
    /// Tracker.
    pub track: Track,
    /// Count.
    pub count: u32,
    /// Time window in seconds.
    pub seconds: u32,
}

/// Parse `threshold` (`detection_filter` when `detection_filter` is true).
pub fn parse_threshold(s: &str, detection_filter: bool) -> Result<Threshold> {
    let kw = if detection_filter {
        "detection_filter"
    } else {
        "threshold"
    };
    let mut kind = if detection_filter {
        Some(ThresholdType::DetectionFilter)
    } else {
        None
    };
    let mut tr = None;
    let mut count = None;
    let mut seconds = None;
    for p in s.split(',').map(str::trim) {
        let mut it = p.split_whitespace();
        let k = it.next().unwrap_or("");
        let v = it.next().unwrap_or("");
        if it.next().is_some() {
            return Err(invalid(kw, format!("malformed item \"{p}\"")));
        }
        match k {
            "type" if !detection_filter => {
                if kind.is_some() {
                    return Err(invalid(kw, "type given twice"));
                }
                kind = Some(match v {
                    "limit" => ThresholdType::Limit,
                    "threshold" => ThresholdType::Threshold,
                    "both" => ThresholdType::Both,
                    o => return Err(invalid(kw, format!("invalid type \"{o}\""))),
                })
            }
            "track" => {
                if tr.is_some() {
                    return Err(invalid(kw, "track given twice"));
                }
                tr = Some(track(kw, v)?)
            }
            "count" => {
                if count.is_some() {
                    return Err(invalid(kw, "count given twice"));
                }
                count = Some(
                    v.parse::<u32>()
                        .map_err(|_| invalid(kw, format!("invalid count \"{v}\"")))?,
                )
            }
            "seconds" => {
                if seconds.is_some() {
                    return Err(invalid(kw, "seconds given twice"));
                }
                seconds = Some(
                    v.parse::<u32>()
                        .map_err(|_| invalid(kw, format!("invalid seconds \"{v}\"")))?,
                )
            }
            o => return Err(invalid(kw, format!("unknown option \"{o}\""))),
        }
    }
    let t = Threshold {
        kind: kind.ok_or_else(|| invalid(kw, "missing 'type'"))?,
        track: tr.ok_or_else(|| invalid(kw, "missing 'track'"))?,
        count: count.ok_or_else(|| invalid(kw, "missing 'count'"))?,
        seconds: seconds.ok_or_else(|| invalid(kw, "missing 'seconds'"))?,
    };
    if t.count == 0 && t.kind != ThresholdType::Limit {
        return Err(invalid(kw, "count must be > 0"));
    }
    Ok(t)
}

/// TCP flag bits as in the TCP header.
pub mod tcp_flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH
    pub const PSH: u8 = 0x08;
    /// ACK
    pub const ACK: u8 = 0x10;
    /// URG
    pub const URG: u8 = 0x20;
    /// ECE
    pub const ECE: u8 = 0x40;
    /// CWR
    pub const CWR: u8 = 0x80;
}

/// How `flags` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagsMode {
    /// Exactly these flags (after masking).
    Exact,
    /// `+`: these flags and possibly others.
    Plus,
    /// `*`: any of these flags.
    Any,
    /// `!`: not these flags.
    Not,
}

/// `flags` / `tcp.flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TcpFlags {
    /// Comparison.
    pub mode: FlagsMode,
    /// Flags (bits of [`tcp_flags`]); 0 with `Exact` means "no flags" (`0`).
    pub flags: u8,
    /// Flags ignored in the comparison (the part after `,`).
    pub ignore: u8,
}

fn flag_bit(c: char) -> Option<u8> {
    use tcp_flags::*;
    Some(match c.to_ascii_uppercase() {
        'F' => FIN,
        'S' => SYN,
        'R' => RST,
        'P' => PSH,
        'A' => ACK,
        'U' => URG,
        'C' | '1' => CWR,
        'E' | '2' => ECE,
        _ => return None,
    })
}

/// Parse `flags`.
pub fn parse_tcp_flags(kw: &str, s: &str) -> Result<TcpFlags> {
    let (main, mask) = match s.split_once(',') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (s.trim(), None),
    };
    let mut mode = FlagsMode::Exact;
    let mut flags = 0u8;
    let mut zero = false;
    for c in main.chars() {
        match c {
            '!' | '+' | '*' => {
                if mode != FlagsMode::Exact {
                    return Err(invalid(kw, "only one modifier (!, +, *) is allowed"));
                }
                mode = match c {
                    '!' => FlagsMode::Not,
                    '+' => FlagsMode::Plus,
                    _ => FlagsMode::Any,
                };
            }
            '0' => zero = true,
            ' ' => {}
            c => flags |= flag_bit(c).ok_or_else(|| invalid(kw, format!("unknown flag '{c}'")))?,
        }
    }
    if flags == 0 && !zero {
        return Err(invalid(kw, "no flags given"));
    }
    let mut ignore = 0u8;
    if let Some(m) = mask {
        for c in m.chars() {
            if c == ' ' {
                continue;
            }
            ignore |=
                flag_bit(c).ok_or_else(|| invalid(kw, format!("unknown flag '{c}' in mask")))?;
        }
    }
    Ok(TcpFlags {
        mode,
        flags,
        ignore,
    })
}

/// IPv4 fragmentation bits for `fragbits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Fragbits {
    /// Comparison (same modifiers as `flags`).
    pub mode: FlagsMode,
    /// Bits: 0x1 = More Fragments (M), 0x2 = Don't Fragment (D), 0x4 = Reserved (R).
    pub bits: u8,
}

/// Parse `fragbits`.
pub fn parse_fragbits(s: &str) -> Result<Fragbits> {
    const KW: &str = "fragbits";
    let mut mode = FlagsMode::Exact;
    let mut bits = 0u8;
    for c in s.trim().chars() {
        match c.to_ascii_uppercase() {
            '!' => mode = FlagsMode::Not,
            '+' => mode = FlagsMode::Plus,
            '*' => mode = FlagsMode::Any,
            'M' => bits |= 1,
            'D' => bits |= 2,
            'R' => bits |= 4,
            ' ' => {}
            o => return Err(invalid(KW, format!("unknown fragment bit '{o}'"))),
        }
    }
    if bits == 0 {
        return Err(invalid(KW, "no bits given"));
    }
    Ok(Fragbits { mode, bits })
}

/// `stream_size` side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamSide {
    /// Server's bytes.
    Server,
    /// Client's bytes.
    Client,
    /// Both sides must satisfy.
    Both,
    /// Either side satisfies.
    Either,
}

/// `stream_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct StreamSize {
    /// Which side.
    pub side: StreamSide,
    /// Comparison.
    pub cmp: UintMatch,
}

/// Parse `stream_size`.
pub fn parse_stream_size(s: &str) -> Result<StreamSize> {
    const KW: &str = "stream_size";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(invalid(KW, "expected side, operator, value"));
    }
    let side = match parts.first().copied().unwrap_or("") {
        "server" => StreamSide::Server,
        "client" => StreamSide::Client,
        "both" => StreamSide::Both,
        "either" => StreamSide::Either,
        o => return Err(invalid(KW, format!("invalid side \"{o}\""))),
    };
    let op = parts.get(1).copied().unwrap_or("");
    if !matches!(op, "<" | ">" | "=" | "!=" | "<=" | ">=") {
        return Err(invalid(KW, format!("invalid operator \"{op}\"")));
    }
    let cmp = parse_uint(
        KW,
        &format!("{op}{}", parts.get(2).copied().unwrap_or("")),
        u64::from(u32::MAX),
        false,
    )?;
    Ok(StreamSize { side, cmp })
}

/// `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Tag {
    /// `session` (true) or `host` (false).
    pub session: bool,
    /// How much to tag.
    pub count: u32,
    /// Unit of `count`: "packets", "seconds" or "bytes".
    pub metric: TagMetric,
    /// For host tags: tag the source (true) or destination (false) host.
    pub src: bool,
}

/// Unit of a `tag` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagMetric {
    /// Packets.
    Packets,
    /// Seconds.
    Seconds,
    /// Bytes.
    Bytes,
}

/// Parse `tag`.
pub fn parse_tag(s: &str) -> Result<Tag> {
    const KW: &str = "tag";
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let session = match parts.first().copied().unwrap_or("") {
        "session" => true,
        "host" => false,
        o => return Err(invalid(KW, format!("invalid tag type \"{o}\""))),
    };
    let mut t = Tag {
        session,
        count: 256,
        metric: TagMetric::Packets,
        src: true,
    };
    if let Some(c) = parts.get(1) {
        t.count = c
            .parse()
            .map_err(|_| invalid(KW, format!("invalid count \"{c}\"")))?;
        t.metric = match parts.get(2).copied().unwrap_or("") {
            "packets" => TagMetric::Packets,
            "seconds" => TagMetric::Seconds,
            "bytes" => TagMetric::Bytes,
            o => return Err(invalid(KW, format!("invalid metric \"{o}\""))),
        };
    }
    if let Some(d) = parts.get(3) {
        if session {
            return Err(invalid(KW, "direction is only valid for host tags"));
        }
        t.src = match *d {
            "src" => true,
            "dst" => false,
            o => return Err(invalid(KW, format!("invalid direction \"{o}\""))),
        };
    }
    if parts.len() > 4 {
        return Err(invalid(KW, "too many arguments"));
    }
    Ok(t)
}

/// `base64_decode` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Base64Decode {
    /// Maximum bytes to decode (0 = all).
    pub bytes: u32,
    /// Offset to start at.
    pub offset: u32,
    /// Relative to the previous match.
    pub relative: bool,
}

/// Parse `base64_decode` (value optional).
pub fn parse_base64_decode(s: Option<&str>) -> Result<Base64Decode> {
    const KW: &str = "base64_decode";
    let mut d = Base64Decode::default();
    let Some(s) = s else { return Ok(d) };
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = p
            .split_once(' ')
            .map(|(a, b)| (a, b.trim()))
            .unwrap_or((p, ""));
        match k {
            "bytes" => {
                d.bytes = v
                    .parse()
                    .map_err(|_| invalid(KW, format!("invalid bytes \"{v}\"")))?
            }
            "offset" => {
                d.offset = v
                    .parse()
                    .map_err(|_| invalid(KW, format!("invalid offset \"{v}\"")))?
            }
            "relative" => d.relative = true,
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
    }
    if d.bytes == 0 && s.contains("bytes") {
        return Err(invalid(KW, "bytes must be > 0"));
    }
    Ok(d)
}

/// `asn1` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Asn1 {
    /// `bitstring_overflow`
    pub bitstring_overflow: bool,
    /// `double_overflow`
    pub double_overflow: bool,
    /// `oversize_length N`
    pub oversize_length: Option<u32>,
    /// `absolute_offset N`
    pub absolute_offset: Option<u32>,
    /// `relative_offset N`
    pub relative_offset: Option<i32>,
}

/// Parse `asn1`.
pub fn parse_asn1(s: &str) -> Result<Asn1> {
    const KW: &str = "asn1";
    let mut a = Asn1::default();
    for p in s.split(',').map(str::trim) {
        let (k, v) = p
            .split_once(' ')
            .map(|(a, b)| (a, b.trim()))
            .unwrap_or((p, ""));
        match k {
            "bitstring_overflow" => a.bitstring_overflow = true,
            "double_overflow" => a.double_overflow = true,
            "oversize_length" => {
                a.oversize_length = Some(
                    v.parse()
                        .map_err(|_| invalid(KW, "invalid oversize_length"))?,
                )
            }
            "absolute_offset" => {
                a.absolute_offset = Some(
                    v.parse()
                        .map_err(|_| invalid(KW, "invalid absolute_offset"))?,
                )
            }
            "relative_offset" => {
                a.relative_offset = Some(
                    v.parse()
                        .map_err(|_| invalid(KW, "invalid relative_offset"))?,
                )
            }
            o => return Err(invalid(KW, format!("unknown option \"{o}\""))),
        }
    }
    if a.absolute_offset.is_some() && a.relative_offset.is_some() {
        return Err(invalid(
            KW,
            "absolute_offset and relative_offset are mutually exclusive",
        ));
    }
    Ok(a)
}

/// Negatable small integer (`tos`, `window`, `dns.opcode`, `fragoffset` without range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct NegNum {
    /// `!`: must NOT equal.
    pub negated: bool,
    /// Value.
    pub value: u64,
}

/// Parse `[!]N` (decimal or `0x` hex) limited to `max`.
pub fn parse_neg_num(kw: &str, s: &str, max: u64) -> Result<NegNum> {
    let t = s.trim();
    let (negated, t) = match t.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, t),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        t.parse::<u64>().ok()
    };
    match v {
        Some(v) if v <= max => Ok(NegNum { negated, value: v }),
        _ => Err(invalid(
            kw,
            format!("invalid value \"{}\" (0..{max})", s.trim()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_forms() {
        let m = parse_uint("dsize", "100", 65535, false).unwrap();
        assert!(m.matches(100) && !m.matches(99));
        let m = parse_uint("dsize", ">  5", 65535, false).unwrap();
        assert_eq!((m.mode, m.arg1), (UintMode::Gt, 5));
        let m = parse_uint("dsize", "10<>20", 65535, false).unwrap();
        assert!(m.matches(11) && !m.matches(10) && !m.matches(20));
        let m = parse_uint("urilen", "5-8", 65535, false).unwrap();
        assert_eq!((m.mode, m.arg1, m.arg2), (UintMode::Range, 5, 8));
        assert_eq!(
            parse_uint("x", "!=3", 10, false).unwrap().mode,
            UintMode::Ne
        );
        assert_eq!(
            parse_uint("filesize", "2kb", u64::MAX, true).unwrap().arg1,
            2048
        );
        for bad in [
            "", "abc", "70000", "5<>6", "<0", ">65535", "1kb", "10-5", "1 2",
        ] {
            assert!(parse_uint("dsize", bad, 65535, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_test_forms() {
        let b = parse_byte_test("4,!&,0x80,12,relative,little").unwrap();
        assert!(b.negated && b.relative);
        assert_eq!(b.op, ByteTestOp::And);
        assert_eq!(b.value, ValueOrVar::Num(0x80));
        assert_eq!(b.endian, Endian::Little);
        let b = parse_byte_test("2,=,var,13").unwrap();
        assert_eq!(b.value, ValueOrVar::Var("var".into()));
        let b = parse_byte_test("4,>,1000,1,relative,string,dec").unwrap();
        assert_eq!(b.string, Some(NumBase::Dec));
        let b = parse_byte_test("2,!=,6,0").unwrap();
        assert!(b.negated && b.op == ByteTestOp::Eq);
        let b = parse_byte_test("1,&,0x0F,0,bitmask 0xF0").unwrap();
        assert_eq!(b.bitmask, Some(0xf0));
        for bad in [
            "4,&,1",
            "9,=,1,0",
            "24,=,1,0,string,dec",
            "4,~,1,0",
            "4,=,x1,1zz",
            "4,=,1,0,bogus",
            "4,=,1,0,big,little",
        ] {
            assert!(parse_byte_test(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_jump_extract_math() {
        let j = parse_byte_jump("4,-6,relative,from_beginning,little,post_offset -8").unwrap();
        assert_eq!(j.offset, NumOrVar::Num(-6));
        assert!(j.from_beginning && j.relative);
        assert_eq!(j.post_offset, Some(-8));
        let j = parse_byte_jump("2,0,multiplier 2,align,string,dec").unwrap();
        assert_eq!(j.multiplier, Some(2));
        assert!(parse_byte_jump("2").is_err());
        let j = parse_byte_jump("2,0,relative,string,from_end,post_offset -26").unwrap();
        assert_eq!(j.string, Some(NumBase::Dec));
        assert!(j.from_end);
        assert!(parse_byte_jump("2,0,hex").is_err());
        assert!(parse_byte_test("2,=,1,0,hex").is_err());
        assert!(parse_byte_jump("2,0,from_beginning,from_end").is_err());
        let e = parse_byte_extract("3,0,frag_len,relative").unwrap();
        assert_eq!(
            (e.nbytes, e.name.as_str(), e.relative),
            (3, "frag_len", true)
        );
        assert!(parse_byte_extract("3,0,1bad").is_err());
        assert!(parse_byte_extract("9,0,x").is_err());
        assert_eq!(
            parse_byte_extract("4,0,x,string,hex").unwrap().string,
            Some(NumBase::Hex)
        );
        let m =
            parse_byte_math("bytes 4, offset 0, oper +, rvalue 248, result var, relative").unwrap();
        assert_eq!(m.oper, MathOp::Add);
        assert_eq!(m.rvalue, ValueOrVar::Num(248));
        let m = parse_byte_math(
            "bytes 1, offset 1, oper <<, rvalue extracted_val, result var, endian little",
        )
        .unwrap();
        assert_eq!(m.rvalue, ValueOrVar::Var("extracted_val".into()));
        assert!(parse_byte_math("bytes 4, offset 0, oper %, rvalue 1, result r").is_err());
        assert!(parse_byte_math("bytes 4, offset 0, oper +, rvalue 1").is_err());
    }

    #[test]
    fn flow_forms() {
        let f = parse_flow("established,to_server").unwrap();
        assert!(f.established && f.to_server);
        let f = parse_flow("from_server, established").unwrap();
        assert!(f.to_client);
        for bad in [
            "to_server,to_client",
            "established,not_established",
            "sideways",
            "established,established",
            "",
        ] {
            assert!(parse_flow(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bits() {
        assert_eq!(parse_flowbits("noalert").unwrap(), FlowbitsKw::NoAlert);
        let FlowbitsKw::Bits(b) = parse_flowbits("isset,a|b").unwrap() else {
            panic!()
        };
        assert_eq!(b.names, vec!["a", "b"]);
        assert!(parse_flowbits("set,a|b").is_err());
        assert!(parse_flowbits("set,a b").is_err());
        assert!(parse_flowbits("set").is_err());
        assert!(parse_flowbits("frob,a").is_err());
        let x = parse_xbits("xbits", "set,ET.x,track ip_pair,expire 15")
            .unwrap()
            .unwrap();
        assert_eq!((x.track, x.expire), (XbitTrack::IpPair, Some(15)));
        assert!(parse_xbits("xbits", "set,a").is_err());
        assert!(parse_xbits("xbits", "set,a,track ip_any").is_err());
        let fi = parse_flowint("ET.x, +, 1").unwrap();
        assert_eq!(fi.op, FlowintOp::Add);
        assert_eq!(parse_flowint("c, notset").unwrap().op, FlowintOp::NotSet);
        assert!(parse_flowint("c, ~, 1").is_err());
        assert!(parse_flowint("c, =").is_err());
    }

    #[test]
    fn thresholds() {
        let t = parse_threshold("type limit, track by_src, seconds 60, count 1", false).unwrap();
        assert_eq!(
            (t.kind, t.track, t.count, t.seconds),
            (ThresholdType::Limit, Track::BySrc, 1, 60)
        );
        let d = parse_threshold("track by_dst, count 4, seconds 20", true).unwrap();
        assert_eq!(d.kind, ThresholdType::DetectionFilter);
        for bad in [
            "type limit, track by_src, count 1",
            "type lots, track by_src, count 1, seconds 1",
            "type limit, track by_x, count 1, seconds 1",
            "type limit, track by_src, count x, seconds 1",
        ] {
            assert!(parse_threshold(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_keywords() {
        let f = parse_tcp_flags("flags", "S,12").unwrap();
        assert_eq!(
            (f.mode, f.flags, f.ignore),
            (
                FlagsMode::Exact,
                tcp_flags::SYN,
                tcp_flags::CWR | tcp_flags::ECE
            )
        );
        assert_eq!(
            parse_tcp_flags("flags", "+PA").unwrap().mode,
            FlagsMode::Plus
        );
        assert_eq!(parse_tcp_flags("flags", "0").unwrap().flags, 0);
        assert!(parse_tcp_flags("flags", "SX").is_err());
        assert!(parse_tcp_flags("flags", "!+S").is_err());
        assert_eq!(parse_fragbits("+D").unwrap().bits, 2);
        assert!(parse_fragbits("Q").is_err());
        let s = parse_stream_size("server,<,5").unwrap();
        assert_eq!(s.side, StreamSide::Server);
        assert!(s.cmp.matches(4));
        assert!(parse_stream_size("server,~,5").is_err());
        let t = parse_tag("session,5,packets").unwrap();
        assert!(t.session && t.count == 5);
        assert!(parse_tag("session,5,bananas").is_err());
        assert_eq!(
            parse_neg_num("tos", "!0x10", 255).unwrap(),
            NegNum {
                negated: true,
                value: 16
            }
        );
        assert!(parse_neg_num("tos", "256", 255).is_err());
        assert_eq!(
            parse_base64_decode(Some("bytes 64, offset 0, relative"))
                .unwrap()
                .bytes,
            64
        );
        assert!(parse_base64_decode(Some("frob")).is_err());
        let a = parse_asn1(
            "double_overflow, bitstring_overflow, relative_offset 54, oversize_length 2048",
        )
        .unwrap();
        assert_eq!(a.relative_offset, Some(54));
        assert!(parse_isdataat("!1,relative").unwrap().negated);
        assert!(parse_isdataat("1,frob").is_err());
    }
}
