//! `#[autodiff_reverse]` and `#[autodiff_forward]`: the attribute macros of
//! Rust's `std::autodiff`, for a stable rustc that loads the ferment plugin.
//! Use them through `ferment-runtime` (`ferment_runtime::autodiff_reverse`).
//!
//! `#[autodiff_reverse(NAME, INPUT_ACTIVITIES..., OUTPUT_ACTIVITY)]` on a free
//! function keeps it unchanged and adds a function NAME computing a
//! derivative, with the signature `std::autodiff` gives it:
//!
//! | activity | allowed on | generated function |
//! |---|---|---|
//! | `Const` | any input / output | argument unchanged; no derivative |
//! | `Active` (reverse) | `f32`/`f64` input | its derivative is appended to the returned tuple |
//! | `Active` (reverse) | `f32`/`f64` output | a seed argument `dret` is appended; the primal is returned first |
//! | `ActiveOnly` (reverse) | output | like `Active`, without the primal in the result |
//! | `Duplicated` (reverse) | `&T`, `&mut T`, `&[T]`, `&mut [T]`, `*const T`, `*mut T` input | a shadow `&mut T` (`*mut T`) follows the argument; derivatives are ADDED into it |
//! | `DuplicatedOnly` (reverse) | as `Duplicated` | the same; the primal memory is not needed afterwards |
//! | `Dual` (forward) | `f32`/`f64`, reference, slice or pointer input | a tangent of the same type follows the argument |
//! | `Dual` (forward) | output | the result is `(primal, tangent)` |
//! | `DualOnly` (forward) | input / output | as `Dual`; an output gives only the tangent |
//!
//! The generated function returns the primal (if any, and unless `*Only`)
//! followed by the derivatives of the `Active` inputs: nothing → `()`, one
//! value → that value, several → a tuple. A raw-pointer argument makes it an
//! `unsafe fn`.
//!
//! How it lowers: a hidden `extern "C"` wrapper of the function (references
//! and slices become pointers and lengths, the result is written through a
//! pointer) is differentiated by a call to an `__enzyme_autodiff_*` /
//! `__enzyme_fwddiff_*` entry point with Enzyme's markers, which the ferment
//! plugin replaces with a generated derivative. The wrapper, the function
//! and the generated function sit in the same Rust module, hence in the same
//! codegen unit; without the plugin loaded into rustc the program does not
//! link (undefined `__enzyme_*` symbols).
//!
//! No dependencies: the function signature is read from the token stream
//! (free functions; no generics, `self`, patterns or `impl Trait` arguments).

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Reverse mode: `#[autodiff_reverse(NAME, INPUT_ACTIVITIES..., OUTPUT_ACTIVITY)]`.
#[proc_macro_attribute]
pub fn autodiff_reverse(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Mode::Reverse, attr, item)
}

/// Forward mode: `#[autodiff_forward(NAME, INPUT_ACTIVITIES..., OUTPUT_ACTIVITY)]`.
#[proc_macro_attribute]
pub fn autodiff_forward(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Mode::Forward, attr, item)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Reverse,
    Forward,
}

impl Mode {
    fn macro_name(self) -> &'static str {
        match self {
            Mode::Reverse => "autodiff_reverse",
            Mode::Forward => "autodiff_forward",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Activity {
    Const,
    Active,
    ActiveOnly,
    Duplicated,
    DuplicatedOnly,
    Dual,
    DualOnly,
}

impl Activity {
    fn parse(name: &str) -> Option<Activity> {
        Some(match name {
            "Const" => Activity::Const,
            "Active" => Activity::Active,
            "ActiveOnly" => Activity::ActiveOnly,
            "Duplicated" => Activity::Duplicated,
            "DuplicatedOnly" => Activity::DuplicatedOnly,
            "Dual" => Activity::Dual,
            "DualOnly" => Activity::DualOnly,
            _ => return None,
        })
    }
}

/// A compile error at `span`, plus whatever tokens should still be emitted.
struct Error {
    span: Span,
    message: String,
}

fn error<T>(span: Span, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        span,
        message: message.into(),
    })
}

fn compile_error(e: &Error) -> TokenStream {
    let mut msg = Literal::string(&e.message);
    msg.set_span(e.span);
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(e.span);
    let mut semi = Punct::new(';', Spacing::Alone);
    semi.set_span(e.span);
    let mut group = Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(msg)),
    );
    group.set_span(e.span);
    [
        TokenTree::Ident(Ident::new("compile_error", e.span)),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
        TokenTree::Punct(semi),
    ]
    .into_iter()
    .collect()
}

/// Whether the rustc running this macro was reported on yet.
static CHECKED: AtomicBool = AtomicBool::new(false);

/// The rustc command line (`@file` arguments expanded), when this macro runs
/// inside rustc (not in rustdoc, which generates no code, nor in an IDE's
/// proc-macro server).
fn rustc_args() -> Option<Vec<String>> {
    let program = std::env::args().next()?;
    let program = std::path::Path::new(&program)
        .file_name()?
        .to_string_lossy();
    if program.contains("rustdoc") {
        return None;
    }
    let mut args = Vec::new();
    for a in std::env::args().skip(1) {
        match a.strip_prefix('@') {
            Some(file) => args.extend(
                std::fs::read_to_string(file)
                    .ok()?
                    .lines()
                    .map(str::to_string),
            ),
            None => args.push(a),
        }
    }
    args.iter().any(|a| a == "--crate-name").then_some(args)
}

/// The value of codegen option `key` (`-C key=v`, `-Ckey=v`, `--codegen key=v`; the last wins).
fn codegen_option<'a>(args: &'a [String], key: &str) -> Option<&'a str> {
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        let opt = if a == "-C" || a == "--codegen" {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix("-C")
                .or_else(|| a.strip_prefix("--codegen="))
        };
        if let Some(v) = opt
            .and_then(|o| o.strip_prefix(key))
            .and_then(|o| o.strip_prefix('='))
        {
            found = Some(v);
        }
    }
    found
}

/// What rustc must be given for the generated code to work: the plugin, and one
/// codegen unit (rustc reports no error the plugin raises, so a function
/// that sits in another unit would become a trap at run time).
fn check_rustc(mode: Mode) -> Result<(), Error> {
    if CHECKED.swap(true, Ordering::Relaxed) {
        return Ok(());
    }
    let Some(args) = rustc_args() else {
        return Ok(());
    };
    let m = mode.macro_name();
    let has_plugin = args
        .iter()
        .enumerate()
        .any(|(i, a)| a.contains("llvm-plugins") && (a.contains('=') || args.get(i + 1).is_some()));
    if !has_plugin {
        return error(
            Span::call_site(),
            format!(
                "#[{m}] needs the ferment plugin loaded into rustc: add to .cargo/config.toml\n\
                 [build]\nrustflags = [\"-Zllvm-plugins=/usr/local/lib/libferment.so\"]\n\
                 [env]\nRUSTC_BOOTSTRAP = \"1\"\n\
                 (with the path of your installed libferment.so)"
            ),
        );
    }
    match codegen_option(&args, "codegen-units") {
        Some("1") => Ok(()),
        units => error(
            Span::call_site(),
            format!(
                "#[{m}] needs this crate compiled as one codegen unit (rustc is using {}): the ferment plugin \
                 sees one LLVM module at a time, and a function called by the one being differentiated may \
                 land in another. Set `codegen-units = 1` for the profile: in .cargo/config.toml or \
                 Cargo.toml add\n[profile.dev]\ncodegen-units = 1\n[profile.release]\ncodegen-units = 1",
                units.map_or_else(|| "the profile's default, 16 or 256 when incremental".to_string(), |u| u.to_string())
            ),
        ),
    }
}

fn expand(mode: Mode, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut out = item.clone();
    if let Err(e) = check_rustc(mode) {
        out.extend(compile_error(&e));
    }
    match generate(mode, attr, item) {
        Ok(code) => match code.parse::<TokenStream>() {
            Ok(ts) => out.extend(ts),
            Err(e) => out.extend(compile_error(&Error {
                span: Span::call_site(),
                message: format!(
                    "ferment-macros generated code that does not parse ({e}); please report this"
                ),
            })),
        },
        Err(e) => out.extend(compile_error(&e)),
    }
    out
}

// ---- reading the function ---------------------------------------------------

/// How an argument's type is passed to the C-ABI wrapper.
#[derive(Clone, Debug)]
enum Kind {
    /// `f32` / `f64` by value.
    Float,
    /// Any other type by value.
    Value,
    /// `&T` or `&mut T` (T not a slice).
    Ref { mutable: bool, target: String },
    /// `&[T]` or `&mut [T]`.
    Slice { mutable: bool, elem: String },
    /// `*const T` or `*mut T`.
    Ptr { mutable: bool, target: String },
}

struct Param {
    name: String,
    ty: String,
    kind: Kind,
    span: Span,
}

struct Func {
    vis: String,
    is_unsafe: bool,
    name: String,
    params: Vec<Param>,
    /// `None` for `()`.
    ret: Option<(String, Kind)>,
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

fn is_ident(t: &TokenTree, s: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i.to_string() == s)
}

fn tokens_to_string(ts: &[TokenTree]) -> String {
    ts.iter().cloned().collect::<TokenStream>().to_string()
}

fn parse_fn(mode: Mode, item: TokenStream) -> Result<Func, Error> {
    let toks: Vec<TokenTree> = item.into_iter().collect();
    let mut i = 0;
    let here = |i: usize| {
        toks.get(i)
            .map(|t| t.span())
            .unwrap_or_else(Span::call_site)
    };
    // Outer attributes.
    while i + 1 < toks.len() && is_punct(&toks[i], '#') {
        if let TokenTree::Group(g) = &toks[i + 1] {
            if g.delimiter() == Delimiter::Bracket {
                i += 2;
                continue;
            }
        }
        break;
    }
    // Visibility.
    let mut vis = String::new();
    if i < toks.len() && is_ident(&toks[i], "pub") {
        vis.push_str("pub");
        i += 1;
        if let Some(TokenTree::Group(g)) = toks.get(i) {
            if g.delimiter() == Delimiter::Parenthesis {
                vis.push_str(&g.to_string());
                i += 1;
            }
        }
    }
    // Qualifiers.
    let mut is_unsafe = false;
    loop {
        match toks.get(i) {
            Some(t) if is_ident(t, "unsafe") => {
                is_unsafe = true;
                i += 1;
            }
            Some(t) if is_ident(t, "extern") => {
                i += 1;
                if let Some(TokenTree::Literal(_)) = toks.get(i) {
                    i += 1;
                }
            }
            Some(t) if is_ident(t, "const") || is_ident(t, "async") => {
                return error(
                    t.span(),
                    format!("#[{}] does not support `{t}` functions", mode.macro_name()),
                );
            }
            _ => break,
        }
    }
    if !toks.get(i).is_some_and(|t| is_ident(t, "fn")) {
        return error(
            here(i),
            format!("#[{}] applies to a function (`fn`)", mode.macro_name()),
        );
    }
    i += 1;
    let name = match toks.get(i) {
        Some(TokenTree::Ident(id)) => id.to_string(),
        _ => return error(here(i), "expected the function's name"),
    };
    i += 1;
    if toks.get(i).is_some_and(|t| is_punct(t, '<')) {
        return error(
            here(i),
            format!(
                "#[{}] (ferment) does not support generic functions: apply it to a non-generic function that calls this one",
                mode.macro_name()
            ),
        );
    }
    let params_group = match toks.get(i) {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => g.clone(),
        _ => return error(here(i), "expected the function's parameter list"),
    };
    i += 1;
    let mut ret = None;
    if toks.get(i).is_some_and(|t| is_punct(t, '-'))
        && toks.get(i + 1).is_some_and(|t| is_punct(t, '>'))
    {
        i += 2;
        let start = i;
        while i < toks.len() {
            match &toks[i] {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && i + 1 == toks.len() => {
                    break
                }
                t if is_ident(t, "where") => break,
                _ => i += 1,
            }
        }
        let ty = &toks[start..i];
        let text = tokens_to_string(ty);
        if text.replace(' ', "") != "()" {
            ret = Some((text, classify(ty)));
        }
    }
    if toks.get(i).is_some_and(|t| is_ident(t, "where")) {
        return error(
            here(i),
            format!(
                "#[{}] (ferment) does not support `where` clauses (generic functions)",
                mode.macro_name()
            ),
        );
    }
    let params = parse_params(mode, params_group)?;
    Ok(Func {
        vis,
        is_unsafe,
        name,
        params,
        ret,
    })
}

/// Splits at top-level commas; `<`/`>` nest (except the `>` of `->`).
fn split_commas(ts: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0i32;
    let mut prev_minus = false;
    for t in ts {
        let mut minus = false;
        if let TokenTree::Punct(p) = &t {
            match p.as_char() {
                '<' => depth += 1,
                '>' if !prev_minus => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(Vec::new());
                    prev_minus = false;
                    continue;
                }
                '-' => minus = p.spacing() == Spacing::Joint,
                _ => {}
            }
        }
        prev_minus = minus;
        parts.last_mut().unwrap().push(t);
    }
    if parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

fn parse_params(mode: Mode, group: Group) -> Result<Vec<Param>, Error> {
    let mut params = Vec::new();
    for part in split_commas(group.stream()) {
        let span = part[0].span();
        let mut j = 0;
        if is_ident(&part[j], "mut") {
            j += 1;
        }
        let name = match part.get(j) {
            Some(TokenTree::Ident(id)) if id.to_string() != "self" => id.to_string(),
            Some(t) if is_ident(t, "self") => {
                return error(
                    t.span(),
                    format!(
                        "#[{}] (ferment) applies to free functions, not methods: move the body into a free function",
                        mode.macro_name()
                    ),
                )
            }
            _ if is_punct(&part[0], '&') => {
                return error(
                    span,
                    format!(
                        "#[{}] (ferment) applies to free functions, not methods",
                        mode.macro_name()
                    ),
                )
            }
            _ => {
                return error(
                    span,
                    format!(
                        "#[{}] (ferment) needs a plain name for each parameter (no patterns)",
                        mode.macro_name()
                    ),
                )
            }
        };
        j += 1;
        if !part.get(j).is_some_and(|t| is_punct(t, ':')) {
            return error(span, "expected `name: Type`");
        }
        let ty = &part[j + 1..];
        if ty.first().is_some_and(|t| is_ident(t, "impl")) {
            return error(
                span,
                format!(
                    "#[{}] (ferment) does not support `impl Trait` parameters",
                    mode.macro_name()
                ),
            );
        }
        params.push(Param {
            name,
            ty: tokens_to_string(ty),
            kind: classify(ty),
            span,
        });
    }
    Ok(params)
}

fn classify(ty: &[TokenTree]) -> Kind {
    let mut j = 0;
    if ty.first().is_some_and(|t| is_punct(t, '&')) {
        j += 1;
        // lifetime: `'` followed by an identifier
        if ty.get(j).is_some_and(|t| is_punct(t, '\'')) {
            j += 2;
        }
        let mutable = ty.get(j).is_some_and(|t| is_ident(t, "mut"));
        if mutable {
            j += 1;
        }
        let rest = &ty[j.min(ty.len())..];
        if let [TokenTree::Group(g)] = rest {
            if g.delimiter() == Delimiter::Bracket {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                // `[T]`, not `[T; N]`
                if !inner.iter().any(|t| is_punct(t, ';')) {
                    return Kind::Slice {
                        mutable,
                        elem: tokens_to_string(&inner),
                    };
                }
            }
        }
        return Kind::Ref {
            mutable,
            target: tokens_to_string(rest),
        };
    }
    if ty.first().is_some_and(|t| is_punct(t, '*')) {
        let mutable = ty.get(1).is_some_and(|t| is_ident(t, "mut"));
        return Kind::Ptr {
            mutable,
            target: tokens_to_string(&ty[2.min(ty.len())..]),
        };
    }
    let text = tokens_to_string(ty);
    if text == "f64" || text == "f32" {
        Kind::Float
    } else {
        Kind::Value
    }
}

// ---- reading the attribute ----------------------------------------------------

fn parse_attr(mode: Mode, attr: TokenStream) -> Result<(String, Vec<(Activity, Span)>), Error> {
    let parts = split_commas(attr);
    let usage = format!(
        "usage: #[{}(NAME, one activity per input, then the output activity unless the function returns ())]",
        mode.macro_name()
    );
    let name = match parts.first().map(|p| p.as_slice()) {
        Some([TokenTree::Ident(id)]) => id.to_string(),
        Some(p) if !p.is_empty() => return error(p[0].span(), usage),
        _ => return error(Span::call_site(), usage),
    };
    let mut acts = Vec::new();
    for p in &parts[1..] {
        match p.as_slice() {
            [TokenTree::Ident(id)] => match Activity::parse(&id.to_string()) {
                Some(a) => acts.push((a, id.span())),
                None => {
                    return error(
                        id.span(),
                        format!(
                            "unknown activity `{id}`: ferment's #[{}] accepts {}",
                            mode.macro_name(),
                            match mode {
                                Mode::Reverse =>
                                    "Const, Active, ActiveOnly, Duplicated, DuplicatedOnly",
                                Mode::Forward => "Const, Dual, DualOnly",
                            }
                        ),
                    )
                }
            },
            p => return error(p.first().map_or(Span::call_site(), |t| t.span()), usage),
        }
    }
    Ok((name, acts))
}

// ---- generating the derivative -------------------------------------------------

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Markers the generated code declares, by the Enzyme name they link to.
const MARKERS: [&str; 4] = [
    "enzyme_const",
    "enzyme_out",
    "enzyme_dup",
    "enzyme_dupnoneed",
];

fn marker(name: &str) -> String {
    format!("__ferment_{name}")
}

fn generate(mode: Mode, attr: TokenStream, item: TokenStream) -> Result<String, Error> {
    let (dname, acts) = parse_attr(mode, attr)?;
    let f = parse_fn(mode, item)?;
    let m = mode.macro_name();
    let n_in = f.params.len();
    let want = n_in + usize::from(f.ret.is_some());
    if acts.len() != want {
        let span = acts.last().map_or(Span::call_site(), |a| a.1);
        return error(
            span,
            format!(
                "#[{m}({dname}, ...)] on `{}` needs {want} activities ({n_in} input{}{}), got {}",
                f.name,
                if n_in == 1 { "" } else { "s" },
                if f.ret.is_some() {
                    " and one for the result"
                } else {
                    "; no output activity since it returns ()"
                },
                acts.len()
            ),
        );
    }

    // Wrapper parameters (C ABI), the original call's arguments, the entry
    // point's parameters and arguments, the generated function's parameters,
    // statements before the call and the derivatives returned.
    let mut w_params = Vec::new();
    let mut w_call = Vec::new();
    let mut e_params: Vec<String> = Vec::new();
    let mut e_args: Vec<String> = Vec::new();
    let mut d_params = Vec::new();
    let mut pre = Vec::new();
    let mut actives: Vec<(String, String)> = Vec::new(); // (type, name)
    let mut needs_unsafe = f.is_unsafe;
    let mut markers_used = [false; 4];
    let mut use_marker = |name: &str, e_params: &mut Vec<String>, e_args: &mut Vec<String>| {
        let k = MARKERS.iter().position(|m| *m == name).unwrap();
        markers_used[k] = true;
        // The marker's address, not its value: rustc's debug builds
        // null-check reads of extern statics.
        e_params.push("_: *const ::core::ffi::c_int".to_string());
        e_args.push(format!("::core::ptr::addr_of!({})", marker(name)));
    };

    for (p, &(act, aspan)) in f.params.iter().zip(&acts) {
        let name = &p.name;
        let ty = &p.ty;
        let shadow = match mode {
            Mode::Reverse => format!("d{name}_0"),
            Mode::Forward => format!("b{name}_0"),
        };
        d_params.push(format!("{name}: {ty}"));
        let valid = matches!(
            (mode, act),
            (_, Activity::Const)
                | (
                    Mode::Reverse,
                    Activity::Active | Activity::Duplicated | Activity::DuplicatedOnly
                )
                | (Mode::Forward, Activity::Dual | Activity::DualOnly)
        );
        if !valid {
            return error(
                aspan,
                format!(
                    "`{act:?}` is not an input activity of #[{m}] (use {})",
                    match mode {
                        Mode::Reverse => "Const, Active, Duplicated or DuplicatedOnly",
                        Mode::Forward => "Const, Dual or DualOnly",
                    }
                ),
            );
        }
        let shadowed = !matches!(act, Activity::Const | Activity::Active);
        let dup_marker = if matches!(act, Activity::DuplicatedOnly | Activity::DualOnly) {
            "enzyme_dupnoneed"
        } else {
            "enzyme_dup"
        };
        match &p.kind {
            Kind::Float | Kind::Value => {
                w_params.push(format!("{name}: {ty}"));
                w_call.push(name.clone());
                let float = matches!(p.kind, Kind::Float);
                match act {
                    Activity::Const => {
                        use_marker("enzyme_const", &mut e_params, &mut e_args);
                        e_params.push(format!("_: {ty}"));
                        e_args.push(name.clone());
                    }
                    _ if !float => {
                        return error(
                            p.span,
                            format!(
                                "`{name}: {ty}` is passed by value: #[{m}] (ferment) accepts `{act:?}` by value only on f32 or f64 \
                                 (pass a reference or slice as Duplicated/Dual, or mark it Const)"
                            ),
                        )
                    }
                    Activity::Active => {
                        use_marker("enzyme_out", &mut e_params, &mut e_args);
                        e_params.push(format!("_: {ty}"));
                        e_args.push(name.clone());
                        actives.push((ty.clone(), name.clone()));
                    }
                    Activity::Dual | Activity::DualOnly => {
                        // forward mode: an unmarked float is followed by its tangent
                        e_params.push(format!("_: {ty}"));
                        e_params.push(format!("_: {ty}"));
                        e_args.push(name.clone());
                        e_args.push(shadow.clone());
                        d_params.push(format!("{shadow}: {ty}"));
                    }
                    _ => {
                        return error(
                            p.span,
                            format!(
                                "`{name}: {ty}` is a scalar: `{act:?}` needs a reference, slice or raw pointer (use Active for a float scalar)"
                            ),
                        )
                    }
                }
            }
            Kind::Ref { mutable, target } | Kind::Ptr { mutable, target } => {
                let is_ptr = matches!(p.kind, Kind::Ptr { .. });
                let ptr_ty = if *mutable {
                    format!("*mut {target}")
                } else {
                    format!("*const {target}")
                };
                w_params.push(format!("{name}: {ptr_ty}"));
                w_call.push(match (is_ptr, mutable) {
                    (true, _) => name.clone(),
                    (false, true) => format!("&mut *{name}"),
                    (false, false) => format!("&*{name}"),
                });
                let as_ptr = if is_ptr {
                    name.clone()
                } else {
                    format!("{name} as {ptr_ty}")
                };
                if is_ptr {
                    needs_unsafe = true;
                }
                if act == Activity::Active {
                    return error(
                        aspan,
                        format!("`{name}: {ty}` is not a float scalar: use Duplicated (or Const) instead of Active"),
                    );
                }
                if shadowed {
                    use_marker(dup_marker, &mut e_params, &mut e_args);
                    e_params.push(format!("_: {ptr_ty}"));
                    e_params.push(format!("_: *mut {target}"));
                    e_args.push(as_ptr);
                    // Reverse mode always takes a mutable shadow; forward mode
                    // a shadow of the argument's own type.
                    let (shadow_ty, shadow_ptr) = match (mode, is_ptr, mutable) {
                        (Mode::Reverse, true, _) => (format!("*mut {target}"), shadow.clone()),
                        (Mode::Reverse, false, _) => (
                            format!("&mut {target}"),
                            format!("{shadow} as *mut {target}"),
                        ),
                        (Mode::Forward, _, _) => (
                            ty.clone(),
                            if is_ptr {
                                format!("{shadow} as *mut {target}")
                            } else {
                                format!("{shadow} as {ptr_ty} as *mut {target}")
                            },
                        ),
                    };
                    d_params.push(format!("{shadow}: {shadow_ty}"));
                    e_args.push(shadow_ptr);
                } else {
                    use_marker("enzyme_const", &mut e_params, &mut e_args);
                    e_params.push(format!("_: {ptr_ty}"));
                    e_args.push(as_ptr);
                }
            }
            Kind::Slice { mutable, elem } => {
                let (ptr_ty, from, as_ptr) = if *mutable {
                    (
                        format!("*mut {elem}"),
                        "from_raw_parts_mut",
                        format!("{name}.as_mut_ptr()"),
                    )
                } else {
                    (
                        format!("*const {elem}"),
                        "from_raw_parts",
                        format!("{name}.as_ptr()"),
                    )
                };
                let len = format!("{name}_len");
                w_params.push(format!("{name}: {ptr_ty}"));
                w_params.push(format!("{len}: usize"));
                w_call.push(format!("::core::slice::{from}({name}, {len})"));
                if act == Activity::Active {
                    return error(
                        aspan,
                        format!("`{name}: {ty}` is a slice: use Duplicated (or Const) instead of Active"),
                    );
                }
                pre.push(format!("let {len} = {name}.len();"));
                if shadowed {
                    use_marker(dup_marker, &mut e_params, &mut e_args);
                    e_params.push(format!("_: {ptr_ty}"));
                    e_params.push(format!("_: *mut {elem}"));
                    let shadow_ty = match mode {
                        Mode::Reverse => format!("&mut [{elem}]"),
                        Mode::Forward => ty.clone(),
                    };
                    d_params.push(format!("{shadow}: {shadow_ty}"));
                    pre.push(format!(
                        "::core::assert_eq!({shadow}.len(), {len}, \"the shadow of `{name}` must have the length of `{name}`\");"
                    ));
                    e_args.push(as_ptr);
                    e_args.push(if mode == Mode::Reverse || *mutable {
                        format!("{shadow}.as_mut_ptr()")
                    } else {
                        format!("{shadow}.as_ptr() as *mut {elem}")
                    });
                } else {
                    use_marker("enzyme_const", &mut e_params, &mut e_args);
                    e_params.push(format!("_: {ptr_ty}"));
                    e_args.push(as_ptr);
                }
                use_marker("enzyme_const", &mut e_params, &mut e_args);
                e_params.push("_: usize".to_string());
                e_args.push(len);
            }
        }
    }

    // The result: written through a pointer by the wrapper.
    let mut results = Vec::new(); // expressions returned, in order
    let mut result_types = Vec::new();
    let mut post = Vec::new();
    if let Some((rty, rkind)) = &f.ret {
        let (act, aspan) = acts[n_in];
        let float = matches!(rkind, Kind::Float);
        let valid = match (mode, act) {
            (_, Activity::Const) => true,
            (Mode::Reverse, Activity::Active | Activity::ActiveOnly) => float,
            (Mode::Forward, Activity::Dual | Activity::DualOnly) => float,
            _ => false,
        };
        if !valid {
            return error(
                aspan,
                format!(
                    "`{act:?}` is not valid for the result `{rty}` in #[{m}] (use {})",
                    match mode {
                        Mode::Reverse => "Active or ActiveOnly for an f32/f64 result, or Const",
                        Mode::Forward => "Dual or DualOnly for an f32/f64 result, or Const",
                    }
                ),
            );
        }
        w_params.push(format!("__ferment_ret: *mut {rty}"));
        if float {
            // A float result goes through duplicated memory: its shadow holds
            // the seed (reverse) or receives the tangent (forward).
            pre.push(format!("let mut __ferment_ret: {rty} = 0.0;"));
            let seed = if mode == Mode::Reverse && act != Activity::Const {
                d_params.push(format!("dret: {rty}"));
                "dret"
            } else {
                "0.0"
            };
            pre.push(format!("let mut __ferment_dret: {rty} = {seed};"));
            let only = matches!(act, Activity::ActiveOnly | Activity::DualOnly);
            use_marker(
                if only {
                    "enzyme_dupnoneed"
                } else {
                    "enzyme_dup"
                },
                &mut e_params,
                &mut e_args,
            );
            e_params.push(format!("_: *mut {rty}"));
            e_params.push(format!("_: *mut {rty}"));
            e_args.push("&mut __ferment_ret as *mut _".to_string());
            e_args.push("&mut __ferment_dret as *mut _".to_string());
            if !only {
                results.push("__ferment_ret".to_string());
                result_types.push(rty.clone());
            }
            if mode == Mode::Forward && act != Activity::Const {
                results.push("__ferment_dret".to_string());
                result_types.push(rty.clone());
            }
        } else {
            pre.push(format!(
                "let mut __ferment_ret = ::core::mem::MaybeUninit::<{rty}>::uninit();"
            ));
            use_marker("enzyme_const", &mut e_params, &mut e_args);
            e_params.push(format!("_: *mut {rty}"));
            e_args.push("__ferment_ret.as_mut_ptr()".to_string());
            post.push("let __ferment_ret = unsafe { __ferment_ret.assume_init() };".to_string());
            results.push("__ferment_ret".to_string());
            result_types.push(rty.clone());
        }
    }

    let id = COUNTER.fetch_add(1, Ordering::Relaxed);
    let krate = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    let entry_base = match mode {
        Mode::Reverse => "__enzyme_autodiff",
        Mode::Forward => "__enzyme_fwddiff",
    };
    let entry_name = format!("{entry_base}_ferment_{krate}_{dname}_{id}");
    let wrapper = format!("__ferment_primal_{dname}_{id}");

    // Derivatives of Active inputs come back from the entry point.
    let grad_struct;
    let entry_ret;
    match actives.len() {
        0 => {
            grad_struct = String::new();
            entry_ret = String::new();
        }
        1 => {
            grad_struct = String::new();
            entry_ret = format!(" -> {}", actives[0].0);
        }
        _ => {
            let fields: Vec<&str> = actives.iter().map(|a| a.0.as_str()).collect();
            grad_struct = format!(
                "#[repr(C)] #[derive(Clone, Copy)] struct __FermentGrad({});",
                fields.join(", ")
            );
            entry_ret = " -> __FermentGrad".to_string();
        }
    }
    let call = format!(
        "unsafe {{ __ferment_entry({wrapper}, {}) }}",
        e_args.join(", ")
    );
    let mut body = pre.join("\n");
    body.push('\n');
    match actives.len() {
        0 => body.push_str(&format!("{call};\n")),
        1 => {
            body.push_str(&format!("let __ferment_d0: {} = {call};\n", actives[0].0));
            results.push("__ferment_d0".to_string());
            result_types.push(actives[0].0.clone());
        }
        _ => {
            body.push_str(&format!("let __ferment_g = {call};\n"));
            for (k, (t, _)) in actives.iter().enumerate() {
                results.push(format!("__ferment_g.{k}"));
                result_types.push(t.clone());
            }
        }
    }
    body.push_str(&post.join("\n"));
    let (ret_ty, ret_expr) = match results.len() {
        0 => (String::new(), String::new()),
        1 => (format!(" -> {}", result_types[0]), results[0].clone()),
        _ => (
            format!(" -> ({})", result_types.join(", ")),
            format!("({})", results.join(", ")),
        ),
    };
    let marker_decls: String = MARKERS
        .iter()
        .zip(markers_used)
        .filter(|(_, used)| *used)
        .map(|(name, _)| {
            format!(
                "#[link_name = \"{name}\"] static {}: ::core::ffi::c_int;\n",
                marker(name)
            )
        })
        .collect();
    let w_ret_stmt = if f.ret.is_some() {
        format!(
            "unsafe {{ __ferment_ret.write({}({})) }}",
            f.name,
            w_call.join(", ")
        )
    } else {
        format!("unsafe {{ {}({}); }}", f.name, w_call.join(", "))
    };
    let vis = &f.vis;
    let unsafety = if needs_unsafe { "unsafe " } else { "" };
    let w_types: Vec<String> = w_params
        .iter()
        .map(|p| p.split_once(": ").unwrap().1.to_string())
        .collect();
    Ok(format!(
        r#"
#[doc(hidden)]
#[allow(non_snake_case, improper_ctypes_definitions, unused_unsafe, clippy::all)]
unsafe extern "C" fn {wrapper}({w_params}) {{
    {w_ret_stmt}
}}

#[allow(non_snake_case, improper_ctypes, unused_unsafe, unused_mut, clippy::all)]
{vis} {unsafety}fn {dname}({d_params}){ret_ty} {{
    {grad_struct}
    unsafe extern "C" {{
        #[link_name = "{entry_name}"]
        fn __ferment_entry(f: unsafe extern "C" fn({w_types}), {e_params}){entry_ret};
        {marker_decls}
    }}
    {body}
    {ret_expr}
}}
"#,
        w_params = w_params.join(", "),
        d_params = d_params.join(", "),
        w_types = w_types.join(", "),
        e_params = e_params.join(", "),
    ))
}
