use cql_parser::parse_statement;

#[test]
fn scratch() {
    let Ok(case) = std::env::var("CASE") else { return };
    let d: usize = std::env::var("DEPTH").unwrap().parse().unwrap();
    let kb: usize = std::env::var("KB").unwrap().parse().unwrap();
    let src = match case.as_str() {
        "list" => format!("INSERT INTO t (k) VALUES ({}1{})", "[".repeat(d), "]".repeat(d)),
        "tuple" => format!("INSERT INTO t (k) VALUES ({}1{})", "(".repeat(d), ")".repeat(d)),
        "fn" => format!("INSERT INTO t (k) VALUES ({}1{})", "f(".repeat(d), ")".repeat(d)),
        "selparen" => format!("SELECT {}a{} FROM t", "(".repeat(d), ")".repeat(d)),
        "selfn" => format!("SELECT {}a{} FROM t", "f(".repeat(d), ")".repeat(d)),
        "selneg" => format!("SELECT {}a FROM t", "- ".repeat(d)),
        "rel" => format!("SELECT * FROM t WHERE {}k = 1{}", "(".repeat(d), ")".repeat(d)),
        "type" => format!("CREATE TABLE t (k {}int{} PRIMARY KEY)", "frozen<".repeat(d), ">".repeat(d)),
        "hint" => format!("INSERT INTO t (k) VALUES ({}1)", "(int)".repeat(d)),
        "udt" => format!("INSERT INTO t (k) VALUES ({}1{})", "{a: ".repeat(d), "}".repeat(d)),
        _ => panic!(),
    };
    let r = std::thread::Builder::new().stack_size(kb * 1024).spawn(move || { let r = parse_statement(&src); let s = format!("{r:#?}"); if let Err(e) = &r { return format!("ERR {e}"); } format!("OK {}", s.len()) }).unwrap().join().unwrap();
    println!("RESULT {r}");
}
