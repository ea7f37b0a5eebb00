//! The machinery the grammar is written with: the parser input (a position in the token list plus the
//! state threaded through parsing), token-matching primitives, and combinators with the error behaviour
//! of Cassandra's ANTLR parser.
//!
//! Errors: every primitive that fails records what it expected at its position; the error reported is
//! the one at the furthest position reached (see [`Ctx::furthest`]). What was expected by alternatives
//! that were not taken (an optional construct that did not start, the other branches of a choice that
//! succeeded, a repetition that stopped) is recorded as *weak*, and mentioned only if nothing else was
//! expected there: like ANTLR, `SELECT a FRM t` is a mismatch expecting `FROM`, not a choice between
//! `AS`, `,`, `(`… Once an optional construct has consumed a token it is committed: a later failure
//! inside it is an error of the enclosing rule (LL(1) behaviour); where the grammar needs more
//! lookahead, [`attempt`] and [`choice`] backtrack.

use std::cell::RefCell;
use std::fmt;

use nom::branch::Alt;
use nom::error::{ErrorKind, ParseError};
use nom::{Err, IResult, InputLength};

use crate::lexer::{Token, TokenKind};

/// How deeply constructs (collections, tuples, function calls, types, parenthesised relations, operator
/// chains…) may nest. Keeps the parser, and whoever walks the tree, far from the end of the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// Something the parser expected at a position, as named in error messages (ANTLR token names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A keyword, e.g. `Kw("FROM")` shown as `K_FROM`.
    Kw(&'static str),
    /// A symbol, shown quoted.
    Sym(&'static str),
    /// An identifier (unquoted, quoted or an unreserved keyword).
    Ident,
    NativeType,
    Constant,
    Str,
    Integer,
    Eof,
}

impl Expect {
    /// Whether this stands for several alternatives (ANTLR reports those as "no viable alternative").
    fn is_choice(self) -> bool {
        matches!(self, Expect::Ident | Expect::NativeType | Expect::Constant)
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Kw(k) => write!(f, "K_{k}"),
            Expect::Sym(s) => write!(f, "'{s}'"),
            Expect::Ident => f.write_str("IDENT"),
            Expect::NativeType => f.write_str("native_type"),
            Expect::Constant => f.write_str("constant"),
            Expect::Str => f.write_str("STRING_LITERAL"),
            Expect::Integer => f.write_str("INTEGER"),
            Expect::Eof => f.write_str("EOF"),
        }
    }
}

/// The furthest failure so far: its position and what was expected there (`true` = weak).
#[derive(Default)]
struct Tracker {
    furthest: usize,
    expected: Vec<(Expect, bool)>,
}

/// What [`Ctx::furthest`] found: where parsing got stuck and what it expected there.
pub(crate) struct Stuck {
    pub(crate) pos: usize,
    pub(crate) expected: Vec<Expect>,
}

impl Stuck {
    /// ANTLR's wording: one expected token is a mismatch, a choice is "no viable alternative".
    pub(crate) fn single_expectation(&self) -> Option<Expect> {
        match self.expected.as_slice() {
            [one] if !one.is_choice() => Some(*one),
            _ => None,
        }
    }
}

/// What every parser shares: the tokens, the source and the failure tracker.
pub(crate) struct Ctx<'t> {
    pub(crate) src: &'t str,
    pub(crate) tokens: &'t [Token],
    tracker: RefCell<Tracker>,
}

/// A snapshot of the tracker, to tell which expectations an optional construct added.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    furthest: usize,
    len: usize,
}

impl<'t> Ctx<'t> {
    /// `tokens` must end with an `Eof` or `Error` token.
    pub(crate) fn new(src: &'t str, tokens: &'t [Token]) -> Self {
        Ctx { src, tokens, tracker: RefCell::default() }
    }

    pub(crate) fn start(&'t self, pos: usize) -> Input<'t> {
        Input { ctx: self, pos, markers: 0, depth: 0, peak: 0 }
    }

    pub(crate) fn record(&self, pos: usize, expect: Expect) {
        let mut t = self.tracker.borrow_mut();
        if pos > t.furthest || t.expected.is_empty() {
            t.furthest = pos;
            t.expected.clear();
        }
        if pos == t.furthest {
            match t.expected.iter_mut().find(|(e, _)| *e == expect) {
                Some(entry) => entry.1 = false,
                None => t.expected.push((expect, false)),
            }
        }
    }

    pub(crate) fn mark(&self) -> Mark {
        let t = self.tracker.borrow();
        Mark { furthest: t.furthest, len: t.expected.len() }
    }

    /// Marks as weak whatever was expected since `mark`: the alternatives a decision did not take.
    pub(crate) fn weaken_since(&self, mark: Mark) {
        let mut t = self.tracker.borrow_mut();
        let from = if t.furthest == mark.furthest { mark.len.min(t.expected.len()) } else { 0 };
        for entry in &mut t.expected[from..] {
            entry.1 = true;
        }
    }

    /// Where parsing got furthest, and what was expected there: the strong expectations if any.
    pub(crate) fn furthest(&self) -> Stuck {
        let t = self.tracker.borrow();
        let strong: Vec<Expect> = t.expected.iter().filter(|(_, weak)| !weak).map(|(e, _)| *e).collect();
        let expected = if strong.is_empty() { t.expected.iter().map(|(e, _)| *e).collect() } else { strong };
        Stuck { pos: t.furthest.min(self.tokens.len().saturating_sub(1)), expected }
    }

    /// The source text from token `from` up to (not including) token `to`.
    pub(crate) fn source_between(&self, from: usize, to: usize) -> &'t str {
        let start = self.tokens[from].start;
        let end = if to > from { self.tokens[to - 1].end } else { start };
        self.src.get(start..end).unwrap_or("")
    }
}

/// A position in the token list, with the state that follows the parse along its path: the number of
/// bind markers seen so far (markers are numbered in order of appearance, and backtracking forgets the
/// ones of the abandoned path), the current nesting depth and the deepest nesting reached.
#[derive(Clone, Copy)]
pub(crate) struct Input<'t> {
    pub(crate) ctx: &'t Ctx<'t>,
    pub(crate) pos: usize,
    pub(crate) markers: usize,
    pub(crate) depth: usize,
    pub(crate) peak: usize,
}

impl InputLength for Input<'_> {
    fn input_len(&self) -> usize {
        self.ctx.tokens.len() - self.pos
    }
}

impl<'t> Input<'t> {
    /// The next token (the final `Eof`/`Error` token is never consumed, so there always is one).
    pub(crate) fn token(&self) -> &'t Token {
        &self.ctx.tokens[self.pos]
    }

    pub(crate) fn advance(self) -> Self {
        Input { pos: self.pos + 1, ..self }
    }

    pub(crate) fn is_kw(&self, word: &str) -> bool {
        let t = self.token();
        t.kind == TokenKind::Ident && t.text.eq_ignore_ascii_case(word)
    }

    pub(crate) fn is_sym(&self, sym: &str) -> bool {
        let t = self.token();
        t.kind == TokenKind::Symbol && t.text == sym
    }
}

/// The error of a failed parse. Its details live in the tracker; `pos` is where the failing parser
/// started to fail (used to tell an optional construct that did not start from one that broke), and
/// `message` is set for errors that are not about unexpected tokens (always `Err::Failure`).
#[derive(Debug)]
pub(crate) struct PErr {
    pub(crate) pos: usize,
    pub(crate) message: Option<String>,
}

impl<'t> ParseError<Input<'t>> for PErr {
    fn from_error_kind(input: Input<'t>, _kind: ErrorKind) -> Self {
        PErr { pos: input.pos, message: None }
    }

    fn append(_input: Input<'t>, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        if other.pos >= self.pos {
            other
        } else {
            self
        }
    }
}

pub(crate) type PResult<'t, O> = IResult<Input<'t>, O, PErr>;

/// Fails at `i` without recording anything (the caller did).
pub(crate) fn backtrack<'t, O>(i: Input<'t>) -> PResult<'t, O> {
    Err(Err::Error(PErr { pos: i.pos, message: None }))
}

/// Fails at `i`, having expected `expect` there.
pub(crate) fn fail<'t, O>(i: Input<'t>, expect: Expect) -> PResult<'t, O> {
    i.ctx.record(i.pos, expect);
    backtrack(i)
}

/// A failure for good (no backtracking) with a message of its own, reported at token `pos`.
pub(crate) fn failure(pos: usize, message: impl Into<String>) -> Err<PErr> {
    Err::Failure(PErr { pos, message: Some(message.into()) })
}

/// Fails for good (no backtracking) with a message of its own, reported at token `pos`.
pub(crate) fn fatal<'t, O>(pos: usize, message: impl Into<String>) -> PResult<'t, O> {
    Err(failure(pos, message))
}

/// A keyword, case-insensitively.
pub(crate) fn kw<'t>(word: &'static str) -> impl Fn(Input<'t>) -> PResult<'t, ()> + Copy {
    move |i: Input<'t>| if i.is_kw(word) { Ok((i.advance(), ())) } else { fail(i, Expect::Kw(word)) }
}

/// A keyword that has several spellings, e.g. `TABLE` and `COLUMNFAMILY`; errors name the first.
pub(crate) fn kw_any<'t>(words: &'static [&'static str]) -> impl Fn(Input<'t>) -> PResult<'t, ()> + Copy {
    move |i: Input<'t>| {
        if words.iter().any(|w| i.is_kw(w)) {
            Ok((i.advance(), ()))
        } else {
            fail(i, Expect::Kw(words[0]))
        }
    }
}

/// `TABLE` or its old synonym `COLUMNFAMILY` (Cassandra's `K_COLUMNFAMILY`).
pub(crate) fn kw_table<'t>(i: Input<'t>) -> PResult<'t, ()> {
    kw_any(&["COLUMNFAMILY", "TABLE"])(i)
}

/// `KEYSPACE` or its synonym `SCHEMA`.
pub(crate) fn kw_keyspace<'t>(i: Input<'t>) -> PResult<'t, ()> {
    kw_any(&["KEYSPACE", "SCHEMA"])(i)
}

/// A symbol.
pub(crate) fn sym<'t>(s: &'static str) -> impl Fn(Input<'t>) -> PResult<'t, ()> + Copy {
    move |i: Input<'t>| if i.is_sym(s) { Ok((i.advance(), ())) } else { fail(i, Expect::Sym(s)) }
}

/// The end of the input (not consumed).
pub(crate) fn eof(i: Input<'_>) -> PResult<'_, ()> {
    if i.token().kind == TokenKind::Eof {
        Ok((i, ()))
    } else {
        fail(i, Expect::Eof)
    }
}

/// An optional construct: absent if it fails without consuming anything (see the module docs).
pub(crate) fn opt_<'t, O>(
    mut p: impl FnMut(Input<'t>) -> PResult<'t, O>,
) -> impl FnMut(Input<'t>) -> PResult<'t, Option<O>> {
    move |i: Input<'t>| {
        let mark = i.ctx.mark();
        match p(i) {
            Ok((rest, o)) => {
                i.ctx.weaken_since(mark);
                Ok((rest, Some(o)))
            }
            Err(Err::Error(e)) if e.pos <= i.pos => {
                i.ctx.weaken_since(mark);
                Ok((i, None))
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether an optional keyword (or keyword sequence) is present.
pub(crate) fn flag<'t, O>(p: impl FnMut(Input<'t>) -> PResult<'t, O>) -> impl FnMut(Input<'t>) -> PResult<'t, bool> {
    let mut p = opt_(p);
    move |i: Input<'t>| p(i).map(|(rest, o)| (rest, o.is_some()))
}

/// Zero or more repetitions; stops at the first that does not start (see [`opt_`]).
pub(crate) fn many_<'t, O>(
    mut p: impl FnMut(Input<'t>) -> PResult<'t, O>,
) -> impl FnMut(Input<'t>) -> PResult<'t, Vec<O>> {
    move |mut i: Input<'t>| {
        let mut items = Vec::new();
        loop {
            let mark = i.ctx.mark();
            match p(i) {
                Ok((rest, o)) => {
                    i.ctx.weaken_since(mark);
                    if rest.pos == i.pos {
                        return Ok((rest, items));
                    }
                    items.push(o);
                    i = rest;
                }
                Err(Err::Error(e)) if e.pos <= i.pos => {
                    i.ctx.weaken_since(mark);
                    return Ok((i, items));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One or more `p` separated by `sep`.
pub(crate) fn sep1<'t, O, S>(
    mut p: impl FnMut(Input<'t>) -> PResult<'t, O>,
    mut sep: impl FnMut(Input<'t>) -> PResult<'t, S>,
) -> impl FnMut(Input<'t>) -> PResult<'t, Vec<O>> {
    move |i: Input<'t>| {
        let (mut i, first) = p(i)?;
        let mut items = vec![first];
        loop {
            let mark = i.ctx.mark();
            let after_sep = match sep(i) {
                Ok((rest, _)) => rest,
                Err(Err::Error(e)) if e.pos <= i.pos => {
                    i.ctx.weaken_since(mark);
                    return Ok((i, items));
                }
                Err(e) => return Err(e),
            };
            let (rest, o) = p(after_sep)?;
            i.ctx.weaken_since(mark);
            items.push(o);
            i = rest;
        }
    }
}

/// One or more `p` separated by commas.
pub(crate) fn comma_list1<'t, O>(
    p: impl FnMut(Input<'t>) -> PResult<'t, O>,
) -> impl FnMut(Input<'t>) -> PResult<'t, Vec<O>> {
    sep1(p, sym(","))
}

/// Zero or more `p` separated by commas, between `open` and `close`.
pub(crate) fn bracketed_list<'t, O>(
    open: &'static str,
    p: impl FnMut(Input<'t>) -> PResult<'t, O>,
    close: &'static str,
) -> impl FnMut(Input<'t>) -> PResult<'t, Vec<O>> {
    let mut items = opt_(comma_list1(p));
    move |i: Input<'t>| {
        let (i, _) = sym(open)(i)?;
        let (i, list) = items(i)?;
        let (i, _) = sym(close)(i)?;
        Ok((i, list.unwrap_or_default()))
    }
}

/// Runs `p`, making any ordinary failure look as if it happened where `p` started, so that enclosing
/// optional constructs treat it as "not there" (arbitrary lookahead, like ANTLR's syntactic predicates).
pub(crate) fn attempt<'t, O>(
    mut p: impl FnMut(Input<'t>) -> PResult<'t, O>,
) -> impl FnMut(Input<'t>) -> PResult<'t, O> {
    move |i: Input<'t>| match p(i) {
        Err(Err::Error(_)) => backtrack(i),
        other => other,
    }
}

/// The first alternative that succeeds (nom's `alt`); what the others expected becomes weak.
pub(crate) fn choice<'t, O, A: Alt<Input<'t>, O, PErr>>(
    mut alternatives: A,
) -> impl FnMut(Input<'t>) -> PResult<'t, O> {
    move |i: Input<'t>| {
        let mark = i.ctx.mark();
        let result = alternatives.choice(i);
        if result.is_ok() {
            i.ctx.weaken_since(mark);
        }
        result
    }
}

/// Runs `p` as lookahead: whatever it expected is weak, whether it succeeds or not.
pub(crate) fn quietly<'t, O>(i: Input<'t>, p: impl FnOnce(Input<'t>) -> PResult<'t, O>) -> PResult<'t, O> {
    let mark = i.ctx.mark();
    let result = p(i);
    i.ctx.weaken_since(mark);
    result
}

fn too_deep<'t, O>(pos: usize) -> PResult<'t, O> {
    fatal(pos, format!("nesting too deep (at most {MAX_DEPTH} levels are allowed)"))
}

/// A construct one nesting level deeper.
pub(crate) fn nested<'t, O>(mut p: impl FnMut(Input<'t>) -> PResult<'t, O>) -> impl FnMut(Input<'t>) -> PResult<'t, O> {
    move |i: Input<'t>| {
        let depth = i.depth + 1;
        if depth > MAX_DEPTH {
            return too_deep(i.pos);
        }
        let (rest, o) = p(Input { depth, peak: i.peak.max(depth), ..i })?;
        Ok((Input { depth: i.depth, ..rest }, o))
    }
}

/// `first` followed by any number of `step`s, folded left with `apply`: operator chains like `a + b - c`
/// and postfix chains like `a.b[c]`. Each step wraps what came before, so the chain's length counts
/// towards the nesting depth, together with how deeply its parts nest. A step that fails is not taken.
pub(crate) fn chain<'t, O, S>(
    i: Input<'t>,
    mut first: impl FnMut(Input<'t>) -> PResult<'t, O>,
    mut step: impl FnMut(Input<'t>) -> PResult<'t, S>,
    mut apply: impl FnMut(O, S) -> O,
) -> PResult<'t, O> {
    let base = i.depth;
    let (mut cur, mut acc) = first(Input { peak: base, ..i })?;
    let mut need = cur.peak - base;
    loop {
        let mark = cur.ctx.mark();
        let result = step(Input { peak: base, ..cur });
        if !matches!(result, Err(Err::Failure(_))) {
            cur.ctx.weaken_since(mark);
        }
        match result {
            Ok((rest, s)) => {
                need = (need + 1).max(rest.peak - base + 1);
                if base + need > MAX_DEPTH {
                    return too_deep(cur.pos);
                }
                acc = apply(acc, s);
                cur = rest;
            }
            Err(Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((Input { peak: i.peak.max(base + need), ..cur }, acc))
}
