//! Evaluation of one buffer's ordered match list with Suricata's content-inspection semantics:
//! absolute (`offset`/`depth`) and relative (`distance`/`within`) windows, negation, and the
//! backtracking rule — when a later keyword that is relative to a match fails, the earlier
//! content (or pcre) is retried at its next occurrence. A keyword that is not relative and fails
//! stops the whole list (no earlier retry can change its outcome), as in Suricata.

use aho_corasick::{AhoCorasick, Input};
use memchr::memmem;
use sekimori_rules::Content;
use sekimori_rules::options::Base64Decode;
use sekimori_rules::options::{
    ByteExtract, ByteJump, ByteMath, ByteTest, ByteTestOp, Endian, IsDataAt, MathOp, NumBase,
    UintMatch, ValueOrVar,
};
use sekimori_rules::{NumOrVar, Pcre};

/// Maximum number of byte_extract/byte_math variables of one rule.
pub(crate) const MAX_VARS: usize = 16;

/// Steps (content searches, pcre calls) allowed for one list evaluation before giving up, like
/// Suricata's inspection recursion limit; protects against quadratic retry chains.
pub(crate) const STEP_BUDGET: u32 = 3000;

/// A literal or a variable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    Num(i64),
    Var(usize),
}

impl Val {
    fn get(self, vars: &[u64; MAX_VARS]) -> i64 {
        match self {
            Val::Num(n) => n,
            Val::Var(i) => vars
                .get(i)
                .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
                .unwrap_or(0),
        }
    }
}

/// Searcher for one pattern.
#[derive(Debug, Clone)]
pub(crate) enum Searcher {
    Exact(Box<memmem::Finder<'static>>),
    NoCase(AhoCorasick),
}

impl Searcher {
    fn new(pat: &[u8], nocase: bool) -> Option<Searcher> {
        if nocase {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build([pat])
                .ok()
                .map(Searcher::NoCase)
        } else {
            Some(Searcher::Exact(Box::new(
                memmem::Finder::new(pat).into_owned(),
            )))
        }
    }

    /// First occurrence starting in `hay[from..end]` and ending by `end`; absolute position.
    fn find(&self, hay: &[u8], from: usize, end: usize) -> Option<usize> {
        let window = hay.get(from..end)?;
        match self {
            Searcher::Exact(f) => f.find(window).map(|p| p + from),
            Searcher::NoCase(ac) => ac.find(Input::new(window)).map(|m| m.start() + from),
        }
    }
}

/// A compiled `content`.
#[derive(Debug, Clone)]
pub(crate) struct CContent {
    pub len: usize,
    pub negated: bool,
    pub offset: Option<Val>,
    pub depth: Option<Val>,
    pub distance: Option<Val>,
    pub within: Option<Val>,
    pub startswith: bool,
    pub endswith: bool,
    pub searcher: Searcher,
}

impl CContent {
    fn relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    /// Search window `[start, end)` for this content, or None when it cannot fit.
    fn window(
        &self,
        buflen: usize,
        prev: usize,
        vars: &[u64; MAX_VARS],
        base: u64,
    ) -> Option<(usize, usize)> {
        let len = self.len as i64;
        let blen = buflen as i64;
        let (mut start, mut end) = if self.relative() {
            let d = self.distance.map(|v| v.get(vars)).unwrap_or(0);
            let base = prev as i64;
            let start = base.saturating_add(d).max(0);
            let end = match self.within {
                Some(w) => base.saturating_add(d).saturating_add(w.get(vars)).min(blen),
                None => blen,
            };
            (start, end)
        } else if self.startswith {
            // anchored at the stream's first byte: not in a later piece of it
            if base > 0 {
                return None;
            }
            (0, len.min(blen))
        } else {
            let off = self.offset.map(|v| v.get(vars)).unwrap_or(0).max(0);
            let depth_end = self.depth.map(|d| off.saturating_add(d.get(vars)));
            // A later piece of the stream: the window moves back by the piece's offset, and a
            // depth that ends before the piece starts cannot match.
            let b = i64::try_from(base).unwrap_or(i64::MAX);
            if depth_end.is_some_and(|e| e <= b) {
                return None;
            }
            let end = match depth_end {
                Some(e) => e.saturating_sub(b).min(blen),
                None => blen,
            };
            (off.saturating_sub(b).max(0), end)
        };
        if self.endswith {
            // the match must end exactly at the buffer end
            let s = blen - len;
            if s < start || blen > end {
                return None;
            }
            start = s;
            end = blen;
        }
        if start < 0 || end.saturating_sub(start) < len {
            return None;
        }
        Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
    }
}

/// A compiled `pcre`.
#[derive(Debug)]
pub(crate) struct CPcre {
    pub re: pcre2::bytes::Regex,
    pub negated: bool,
    pub relative: bool,
}

/// One compiled item of a match list.
#[derive(Debug)]
pub(crate) enum CMatch {
    Content(Box<CContent>),
    Pcre(CPcre),
    ByteTest {
        t: ByteTest,
        nbytes: Val,
        offset: Val,
        value: Val,
    },
    ByteJump {
        j: ByteJump,
        nbytes: Val,
        offset: Val,
    },
    ByteExtract {
        e: ByteExtract,
        var: usize,
    },
    ByteMath {
        m: ByteMath,
        nbytes: Val,
        rvalue: Val,
        var: usize,
    },
    IsDataAt {
        d: IsDataAt,
        pos: Val,
    },
    Bsize(UintMatch),
    /// `base64_decode`: decodes from the buffer into [`Ctx::b64`] (`base64_data`).
    Base64Decode(Base64Decode),
}

impl CMatch {
    fn relative(&self) -> bool {
        match self {
            CMatch::Content(c) => c.relative(),
            CMatch::Pcre(p) => p.relative,
            CMatch::ByteTest { t, .. } => t.relative,
            CMatch::ByteJump { j, .. } => j.relative,
            CMatch::ByteExtract { e, .. } => e.relative,
            CMatch::ByteMath { m, .. } => m.relative,
            CMatch::IsDataAt { d, .. } => d.relative,
            CMatch::Bsize(_) => false,
            CMatch::Base64Decode(d) => d.relative,
        }
    }
}

/// A compiled match list (items plus, per item, whether the next one is relative to it).
#[derive(Debug, Default)]
pub(crate) struct CList {
    pub items: Vec<CMatch>,
    pub relative_next: Vec<bool>,
}

/// Why a compile of a rule's match item failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemError {
    /// Keyword not supported by the matcher.
    Unsupported(&'static str),
    /// Too many variables or an unknown variable.
    Var(String),
    /// The pcre did not compile.
    Pcre(String),
}

/// Variable names of one rule, mapped to slots.
#[derive(Debug, Default)]
pub(crate) struct VarMap {
    names: Vec<String>,
}

impl VarMap {
    fn slot(&self, name: &str) -> Result<usize, ItemError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| ItemError::Var(format!("unknown variable {name}")))
    }
    fn define(&mut self, name: &str) -> Result<usize, ItemError> {
        if let Ok(i) = self.slot(name) {
            return Ok(i);
        }
        if self.names.len() >= MAX_VARS {
            return Err(ItemError::Var(
                "too many byte_extract/byte_math variables".into(),
            ));
        }
        self.names.push(name.to_string());
        Ok(self.names.len() - 1)
    }
    fn val(&self, v: &NumOrVar) -> Result<Val, ItemError> {
        match v {
            NumOrVar::Num(n) => Ok(Val::Num(i64::from(*n))),
            NumOrVar::Var(name) => self.slot(name).map(Val::Var),
        }
    }
    fn val_u(&self, v: &ValueOrVar) -> Result<Val, ItemError> {
        match v {
            ValueOrVar::Num(n) => Ok(Val::Num(i64::try_from(*n).unwrap_or(i64::MAX))),
            ValueOrVar::Var(name) => self.slot(name).map(Val::Var),
        }
    }
}

/// Compile a content.
pub(crate) fn compile_content(c: &Content, vars: &VarMap) -> Result<CContent, ItemError> {
    let opt = |v: &Option<NumOrVar>| v.as_ref().map(|v| vars.val(v)).transpose();
    Ok(CContent {
        len: c.pattern.len(),
        negated: c.negated,
        offset: opt(&c.offset)?,
        depth: opt(&c.depth)?,
        distance: opt(&c.distance)?,
        within: opt(&c.within)?,
        startswith: c.startswith,
        endswith: c.endswith,
        searcher: Searcher::new(&c.pattern, c.nocase).ok_or(ItemError::Unsupported("content"))?,
    })
}

/// Compile a pcre with Suricata's flags (`i s m x` as PCRE options, `G` as `(?U)`, `A` anchoring
/// at the start offset with `\G`). `E` (dollar end-only) has no switch here and is ignored.
pub(crate) fn compile_pcre(p: &Pcre) -> Result<CPcre, ItemError> {
    let o = p.options;
    let mut pat = String::with_capacity(p.pattern.len() + 12);
    if o.ungreedy {
        pat.push_str("(?U)");
    }
    if o.anchored {
        pat.push_str("\\G(?:");
        pat.push_str(&p.pattern);
        pat.push(')');
    } else {
        pat.push_str(&p.pattern);
    }
    let re = pcre2::bytes::RegexBuilder::new()
        .caseless(o.caseless)
        .multi_line(o.multiline)
        .dotall(o.dotall)
        .extended(o.extended)
        .jit_if_available(true)
        .build(&pat)
        .map_err(|e| ItemError::Pcre(e.to_string()))?;
    if !p.captures.is_empty() {
        // captures into flowvars/pktvars are not stored; the match itself still works
    }
    Ok(CPcre {
        re,
        negated: p.negated,
        relative: p.relative,
    })
}

/// Compile a match list.
pub(crate) fn compile_list(
    matches: &[sekimori_rules::Match],
    vars: &mut VarMap,
) -> Result<CList, ItemError> {
    use sekimori_rules::Match as M;
    let mut items = Vec::with_capacity(matches.len());
    for m in matches {
        let c = match m {
            M::Content(c) => CMatch::Content(Box::new(compile_content(c, vars)?)),
            M::Pcre(p) => CMatch::Pcre(compile_pcre(p)?),
            M::ByteTest(t) => CMatch::ByteTest {
                nbytes: vars.val(&t.nbytes)?,
                offset: vars.val(&t.offset)?,
                value: vars.val_u(&t.value)?,
                t: t.clone(),
            },
            M::ByteJump(j) => CMatch::ByteJump {
                nbytes: vars.val(&j.nbytes)?,
                offset: vars.val(&j.offset)?,
                j: j.clone(),
            },
            M::ByteExtract(e) => CMatch::ByteExtract {
                var: vars.define(&e.name)?,
                e: e.clone(),
            },
            M::ByteMath(bm) => {
                let nbytes = vars.val(&bm.nbytes)?;
                let rvalue = vars.val_u(&bm.rvalue)?;
                CMatch::ByteMath {
                    var: vars.define(&bm.result)?,
                    nbytes,
                    rvalue,
                    m: bm.clone(),
                }
            }
            M::IsDataAt(d) => CMatch::IsDataAt {
                pos: vars.val(&d.pos)?,
                d: d.clone(),
            },
            M::Bsize(u) => CMatch::Bsize(*u),
            M::Base64Decode(d) => CMatch::Base64Decode(*d),
            M::Asn1(_) => return Err(ItemError::Unsupported("asn1")),
            M::Dataset { .. } => return Err(ItemError::Unsupported("dataset")),
        };
        items.push(c);
    }
    let relative_next = (0..items.len())
        .map(|i| items.get(i + 1).is_some_and(CMatch::relative))
        .collect();
    Ok(CList {
        items,
        relative_next,
    })
}

/// Outcome of inspecting the rest of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum R {
    Match,
    NoMatch,
    /// No match, and retrying earlier keywords cannot help.
    Abort,
}

/// Inspection state of one list evaluation.
pub(crate) struct Ctx {
    pub vars: [u64; MAX_VARS],
    pub budget: u32,
    /// What the last `base64_decode` produced (the `base64_data` buffer).
    pub b64: Vec<u8>,
    /// Stream offset of the buffer's first byte when it is a piece of raw stream data (0
    /// otherwise): `offset`/`depth`/`startswith` count from the start of the stream, as
    /// Suricata's raw stream inspection does.
    pub stream_base: u64,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Ctx {
            vars: [0; MAX_VARS],
            budget: STEP_BUDGET,
            b64: Vec::new(),
            stream_base: 0,
        }
    }
}

/// Value of a base64 alphabet character (standard alphabet; `-`/`_` of the URL-safe one too).
fn b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

/// Decodes base64 leniently into `out` (cleared first), as `base64_decode` does: whitespace is
/// skipped, decoding stops at padding or at the first other character, and a trailing partial
/// group yields the whole bytes it holds. Hand-written: a few lines, no allocation beyond `out`,
/// and the stop-at-garbage behaviour strict decoders do not offer.
pub(crate) fn decode_base64_lenient(input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut acc: u32 = 0;
    let mut n = 0u8;
    for &c in input {
        if c.is_ascii_whitespace() {
            continue;
        }
        let Some(v) = b64_value(c) else { break };
        acc = (acc << 6) | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
}

/// Does `buf` satisfy the whole list?
pub(crate) fn inspect_list(list: &CList, buf: &[u8], ctx: &mut Ctx) -> bool {
    ctx.budget = STEP_BUDGET;
    step(list, 0, buf, 0, ctx) == R::Match
}

fn read_value(
    buf: &[u8],
    at: i64,
    nbytes: i64,
    endian: Endian,
    string: Option<NumBase>,
) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let n = usize::try_from(nbytes).ok()?;
    // Suricata: reading 0 bytes yields 0 in binary mode and fails in string mode
    if n == 0 && string.is_some() {
        return None;
    }
    let bytes = buf.get(at..at.checked_add(n)?)?;
    match string {
        None => {
            if n > 8 {
                return None;
            }
            let mut v = 0u64;
            match endian {
                Endian::Big => {
                    for &b in bytes {
                        v = (v << 8) | u64::from(b);
                    }
                }
                // DCE/RPC data is little endian unless the DCE header says otherwise; there is no
                // DCE/RPC state here, so `dce` reads little endian.
                Endian::Little | Endian::Dce => {
                    for &b in bytes.iter().rev() {
                        v = (v << 8) | u64::from(b);
                    }
                }
            }
            Some(v)
        }
        Some(base) => {
            let radix = match base {
                NumBase::Hex => 16,
                NumBase::Dec => 10,
                NumBase::Oct => 8,
            };
            let mut v = 0u64;
            let mut any = false;
            for &b in bytes {
                match (b as char).to_digit(radix) {
                    Some(d) => {
                        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
                        any = true;
                    }
                    None => break,
                }
            }
            any.then_some(v)
        }
    }
}

fn apply_bitmask(v: u64, mask: Option<u32>) -> u64 {
    match mask {
        Some(m) if m != 0 => (v & u64::from(m)) >> m.trailing_zeros(),
        Some(_) => 0,
        None => v,
    }
}

fn step(list: &CList, i: usize, buf: &[u8], prev: usize, ctx: &mut Ctx) -> R {
    let Some(item) = list.items.get(i) else {
        return R::Match;
    };
    if ctx.budget == 0 {
        return R::Abort;
    }
    ctx.budget -= 1;
    let rel_next = list.relative_next.get(i).copied().unwrap_or(false);
    let base = |relative: bool| if relative { prev as i64 } else { 0 };
    match item {
        CMatch::Content(c) => {
            let single = !c.relative() && !rel_next;
            let Some((start, end)) = c.window(buf.len(), prev, &ctx.vars, ctx.stream_base) else {
                return if c.negated {
                    step(list, i + 1, buf, prev, ctx)
                } else if c.relative() {
                    R::NoMatch
                } else {
                    R::Abort
                };
            };
            let mut from = start;
            loop {
                let found = c.searcher.find(buf, from, end);
                match found {
                    None => {
                        return if c.negated {
                            step(list, i + 1, buf, prev, ctx)
                        } else if c.relative() {
                            R::NoMatch
                        } else {
                            R::Abort
                        };
                    }
                    Some(p) => {
                        if c.negated {
                            return if single { R::Abort } else { R::NoMatch };
                        }
                        match step(list, i + 1, buf, p + c.len, ctx) {
                            R::Match => return R::Match,
                            R::Abort => return R::Abort,
                            R::NoMatch => {
                                if !rel_next || ctx.budget == 0 {
                                    return R::NoMatch;
                                }
                                ctx.budget -= 1;
                                from = p + 1;
                            }
                        }
                    }
                }
            }
        }
        CMatch::Pcre(pc) => {
            let (subject, origin) = if pc.relative {
                match buf.get(prev..) {
                    Some(s) => (s, prev),
                    None => return R::NoMatch,
                }
            } else {
                (buf, 0)
            };
            let mut from = 0usize;
            loop {
                let m = pc.re.find_at(subject, from).ok().flatten();
                match m {
                    None => {
                        return if pc.negated {
                            step(list, i + 1, buf, prev, ctx)
                        } else {
                            R::NoMatch
                        };
                    }
                    Some(m) => {
                        if pc.negated {
                            return R::NoMatch;
                        }
                        match step(list, i + 1, buf, origin + m.end(), ctx) {
                            R::Match => return R::Match,
                            R::Abort => return R::Abort,
                            R::NoMatch => {
                                if !rel_next || ctx.budget == 0 || m.start() >= subject.len() {
                                    return R::NoMatch;
                                }
                                ctx.budget -= 1;
                                from = m.start() + 1;
                            }
                        }
                    }
                }
            }
        }
        CMatch::ByteTest {
            t,
            nbytes,
            offset,
            value,
        } => {
            let at = base(t.relative).saturating_add(offset.get(&ctx.vars));
            let Some(v) = read_value(buf, at, nbytes.get(&ctx.vars), t.endian, t.string) else {
                return R::NoMatch;
            };
            let v = apply_bitmask(v, t.bitmask);
            let want = value.get(&ctx.vars) as u64;
            let ok = match t.op {
                ByteTestOp::Lt => v < want,
                ByteTestOp::Gt => v > want,
                ByteTestOp::Eq => v == want,
                ByteTestOp::Le => v <= want,
                ByteTestOp::Ge => v >= want,
                ByteTestOp::And => v & want != 0,
                ByteTestOp::Or => v ^ want != 0,
            };
            if ok != t.negated {
                step(list, i + 1, buf, prev, ctx)
            } else {
                R::NoMatch
            }
        }
        CMatch::ByteJump { j, nbytes, offset } => {
            let at = base(j.relative).saturating_add(offset.get(&ctx.vars));
            let n = nbytes.get(&ctx.vars);
            let Some(v) = read_value(buf, at, n, j.endian, j.string) else {
                return R::NoMatch;
            };
            let mut v = i64::try_from(apply_bitmask(v, j.bitmask)).unwrap_or(i64::MAX);
            if let Some(m) = j.multiplier {
                v = v.saturating_mul(i64::from(m));
            }
            if j.align && v % 4 != 0 {
                v = v.saturating_add(4 - v % 4);
            }
            let from = if j.from_beginning {
                0
            } else if j.from_end {
                buf.len() as i64
            } else {
                at.saturating_add(n)
            };
            let target = from
                .saturating_add(v)
                .saturating_add(i64::from(j.post_offset.unwrap_or(0)));
            if target < 0 || target > buf.len() as i64 {
                return R::NoMatch;
            }
            step(list, i + 1, buf, target as usize, ctx)
        }
        CMatch::ByteExtract { e, var } => {
            let at = base(e.relative).saturating_add(i64::from(e.offset));
            let n = i64::from(e.nbytes);
            let Some(mut v) = read_value(buf, at, n, e.endian, e.string) else {
                return R::NoMatch;
            };
            if let Some(m) = e.multiplier {
                v = v.saturating_mul(u64::from(m));
            }
            if let Some(a) = e.align {
                let a = u64::from(a);
                if v % a != 0 {
                    v = v.saturating_add(a - v % a);
                }
            }
            if let Some(slot) = ctx.vars.get_mut(*var) {
                *slot = v;
            }
            // the cursor moves past the extracted bytes
            step(
                list,
                i + 1,
                buf,
                usize::try_from(at.saturating_add(n)).unwrap_or(0),
                ctx,
            )
        }
        CMatch::ByteMath {
            m,
            nbytes,
            rvalue,
            var,
        } => {
            let at = base(m.relative).saturating_add(i64::from(m.offset));
            let Some(v) = read_value(buf, at, nbytes.get(&ctx.vars), m.endian, m.string) else {
                return R::NoMatch;
            };
            let v = apply_bitmask(v, m.bitmask);
            let r = rvalue.get(&ctx.vars) as u64;
            let res = match m.oper {
                MathOp::Add => v.checked_add(r),
                MathOp::Sub => v.checked_sub(r),
                MathOp::Mul => v.checked_mul(r),
                MathOp::Div => v.checked_div(r),
                MathOp::Shl => Some(if r >= 64 { 0 } else { v << r }),
                MathOp::Shr => Some(if r >= 64 { 0 } else { v >> r }),
            };
            let Some(res) = res else {
                return R::NoMatch;
            };
            if let Some(slot) = ctx.vars.get_mut(*var) {
                *slot = res;
            }
            step(list, i + 1, buf, prev, ctx)
        }
        CMatch::IsDataAt { d, pos } => {
            // Suricata: relative `isdataat:N` means at least N bytes remain after the cursor;
            // absolute means byte N exists.
            let n = pos.get(&ctx.vars);
            let blen = buf.len() as i64;
            let has = if d.relative {
                (prev as i64).saturating_add(n) <= blen
            } else {
                n >= 0 && n < blen
            };
            if has != d.negated {
                step(list, i + 1, buf, prev, ctx)
            } else {
                R::NoMatch
            }
        }
        CMatch::Bsize(u) => {
            if u.matches(buf.len() as u64) {
                step(list, i + 1, buf, prev, ctx)
            } else {
                R::Abort
            }
        }
        CMatch::Base64Decode(d) => {
            let start = (base(d.relative) as usize).saturating_add(d.offset as usize);
            let Some(rest) = buf.get(start..) else {
                return R::NoMatch;
            };
            let take = if d.bytes == 0 {
                rest.len()
            } else {
                rest.len().min(d.bytes as usize)
            };
            let mut out = std::mem::take(&mut ctx.b64);
            decode_base64_lenient(rest.get(..take).unwrap_or(rest), &mut out);
            let any = !out.is_empty();
            ctx.b64 = out;
            // Suricata: the keyword matches when something was decoded.
            if any {
                step(list, i + 1, buf, prev, ctx)
            } else {
                R::NoMatch
            }
        }
    }
}
