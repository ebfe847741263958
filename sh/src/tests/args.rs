//! Tests of the utilities' option parser.
use crate::args::parse;
use alloc::vec;

#[test]
fn flags_and_operands() {
    let p = parse("wc", &["-l", "-wc", "a", "b"], "lwc", false).unwrap();
    assert_eq!(p.flags, vec!['l', 'w', 'c']);
    assert!(p.has('w') && !p.has('x'));
    assert_eq!(p.operands, vec!["a", "b"]);
    assert_eq!(p.count, None);
}

#[test]
fn options_end_at_the_first_operand_or_double_dash() {
    let p = parse("grep", &["-v", "pat", "-i", "f"], "vci", false).unwrap();
    assert_eq!(p.flags, vec!['v']);
    assert_eq!(p.operands, vec!["pat", "-i", "f"]);
    let p = parse("grep", &["--", "-v"], "vci", false).unwrap();
    assert_eq!(p.operands, vec!["-v"]);
    let p = parse("cat", &["-", "x"], "", false).unwrap();
    assert_eq!(p.operands, vec!["-", "x"]);
}

#[test]
fn counts() {
    assert_eq!(
        parse("head", &["-n", "5"], "", true).unwrap().count,
        Some(5)
    );
    assert_eq!(
        parse("head", &["-n5", "f"], "", true).unwrap().count,
        Some(5)
    );
    assert_eq!(parse("head", &["-12"], "", true).unwrap().count, Some(12));
    let p = parse("sort", &["-rn", "3"], "r", true).unwrap();
    assert_eq!((p.flags, p.count), (vec!['r'], Some(3)));
}

#[test]
fn errors() {
    assert_eq!(
        parse("wc", &["-x"], "lwc", false).unwrap_err(),
        "wc: unknown option -x"
    );
    assert_eq!(
        parse("head", &["-n"], "", true).unwrap_err(),
        "head: option -n needs a number"
    );
    assert_eq!(
        parse("head", &["-n", "x"], "", true).unwrap_err(),
        "head: invalid number 'x'"
    );
    assert_eq!(
        parse("sort", &["-n"], "rn", false).unwrap().flags,
        vec!['n']
    );
    assert_eq!(
        parse("uniq", &["-5"], "c", false).unwrap_err(),
        "uniq: unknown option -5"
    );
}
