/*
 * Tpol: Tessera's policy DSL (.tpol). One statement per definition or rule; newlines are not
 * significant (lists need commas, so a statement ends where its last list ends). See
 * policy-lang/DSL.md for the reference with examples.
 *
 * Design notes:
 * - The lexer is purely regular (no predicates, no actions) so ANTLR's lexer DFA caches every
 *   edge: the 5 MB benchmark depends on it. Where a character is ambiguous the atom rule is
 *   shaped instead: '-' continues an atom only when an atom character follows, so `a->b` lexes
 *   as a, ->, b; '/' continues an atom only before a non-'/' non-'*' character, so
 *   `10.0.0.0/8// c` ends the CIDR before the comment; ',' continues an atom only before a digit,
 *   so `tag:web:80,443` is one destination while `a, b` (and `a,b`) are two items.
 * - Keywords are reserved by the lexer but accepted back as plain words wherever a value is
 *   expected (rule `word`), so a host may be called `test`; the printer quotes them anyway.
 * - Values are parsed by dev.tessera.policy.syntax.Values, like the HuJSON and YAML readers, so a
 *   selector, port or protocol means the same in every syntax.
 * - `{ ... }` is one JSON_BLOCK token (balanced braces, JSON strings respected) handed to
 *   Jackson: app capabilities and derpMap are opaque JSON in every syntax.
 */
grammar Tpol;

tokens { JSON_BLOCK, UNTERMINATED_JSON, UNTERMINATED_COMMENT }

@lexer::members {
  /**
   * Called after '{': consumes a balanced JSON value (strings, escapes and comments respected)
   * with an explicit depth counter, so deeply nested input cannot overflow the stack (a recursive
   * lexer rule would). Leaves the token as JSON_BLOCK, or UNTERMINATED_JSON at end of input.
   */
  private void scanJsonBlock() {
    int depth = 1;
    while (depth > 0) {
      int c = _input.LA(1);
      if (c == EOF) {
        setType(TpolParser.UNTERMINATED_JSON);
        return;
      }
      getInterpreter().consume(_input);
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
      } else if (c == '"') {
        while (true) {
          int d = _input.LA(1);
          if (d == EOF) {
            setType(TpolParser.UNTERMINATED_JSON);
            return;
          }
          getInterpreter().consume(_input);
          if (d == '\\') {
            if (_input.LA(1) != EOF) {
              getInterpreter().consume(_input);
            }
          } else if (d == '"') {
            break;
          }
        }
      } else if (c == '/' && _input.LA(1) == '/') {
        while (_input.LA(1) != EOF && _input.LA(1) != '\n') {
          getInterpreter().consume(_input);
        }
      } else if (c == '/' && _input.LA(1) == '*') {
        getInterpreter().consume(_input);
        while (!(_input.LA(1) == '*' && _input.LA(2) == '/')) {
          if (_input.LA(1) == EOF) {
            setType(TpolParser.UNTERMINATED_JSON);
            return;
          }
          getInterpreter().consume(_input);
        }
        getInterpreter().consume(_input);
        getInterpreter().consume(_input);
      }
    }
    setType(TpolParser.JSON_BLOCK);
  }

  /** Called after an unclosed '/*': the rest of the input is the (bad) comment. */
  private void consumeRest() {
    while (_input.LA(1) != EOF) {
      getInterpreter().consume(_input);
    }
  }
}

policy : statement* EOF ;

statement
  : GROUP name EQ list                                  # groupStmt
  | TAG name (OWNED BY list)?                           # tagStmt
  | HOST name EQ word                                   # hostStmt
  | IPSET name EQ ipsetOps                              # ipsetStmt
  | POSTURE name EQ conditions                          # postureStmt
  | DEFAULT POSTURE list                                # defaultPostureStmt
  | action=(ALLOW | DENY) src=list ARROW dst=list clause*   # aclStmt
  | GRANT src=list ARROW dst=list clause*               # grantStmt
  | SSH TEST src=word ARROW dst=list sshTestClause*     # sshTestStmt
  | SSH action=word src=list ARROW dst=list clause*     # sshStmt
  | TEST src=word testClause*                           # testStmt
  | ATTR attrs=list FOR targets=list clause*            # nodeAttrStmt
  | APPROVE ROUTE route=word BY list                    # approveRouteStmt
  | APPROVE EXIT_NODE BY list                           # approveExitStmt
  | APPROVE SERVICE service=word BY list                # approveServiceStmt
  | DERP JSON_BLOCK                                     # derpStmt
  | SET name EQ word                                    # setStmt
  | EMPTY list                                          # emptyStmt
  ;

// Optional parts of allow/grant/ssh/attr statements, in any order; which ones a statement may
// carry is checked by the reader so the message can say "ip belongs in a grant".
clause
  : PROTO word                       # protoClause
  | WHEN list                        # whenClause
  | IP list                          # ipClause
  | APP JSON_BLOCK                   # appClause
  | VIA list                         # viaClause
  | AS list                          # asClause
  | PERIOD word                      # periodClause
  | ENV list                         # envClause
  | POOL list                        # poolClause
  | RECORDER list                    # recorderClause
  | ENFORCE_RECORDER word            # enforceRecorderClause
  ;

testClause
  : PROTO word                       # testProto
  | CAN REACH list                   # testAccept
  | CANNOT REACH list                # testDeny
  ;

sshTestClause
  : ACCEPT list                      # sshTestAccept
  | CHECK list                       # sshTestCheck
  | DENY list                        # sshTestDeny
  ;

ipsetOps
  : LBRACK RBRACK
  | ipsetOp (COMMA ipsetOp)*
  ;

ipsetOp : kind=(ADD | REMOVE)? word ;

conditions
  : LBRACK RBRACK
  | condition (AND condition)*
  ;

condition
  : attr=word op=(EQEQ | NEQ | LT | LE | GT | GE) postureValue            # compareCond
  | attr=word NOT? IN (LPAREN | LBRACK) postureValue (COMMA postureValue)* COMMA? (RPAREN | RBRACK)  # inCond
  | attr=word (IS | NOT) SET                                             # setCond
  ;

postureValue : STRING | ATOM | NUMBER | TRUE | FALSE ;

list
  : LBRACK (word (COMMA word)* COMMA?)? RBRACK
  | word (COMMA word)*
  ;

name : word ;

word : ATOM | STRING | NUMBER | V6_DEST | keyword ;

keyword
  : GROUP | TAG | OWNED | BY | HOST | IPSET | ADD | REMOVE | POSTURE | DEFAULT | ALLOW | DENY
  | GRANT | IP | APP | VIA | WHEN | PROTO | SSH | ACCEPT | CHECK | AS | PERIOD | ENV | POOL | TEST | CAN
  | CANNOT | REACH | ATTR | FOR | APPROVE | ROUTE | EXIT_NODE | SERVICE | RECORDER | ENFORCE_RECORDER
  | DERP | SET | EMPTY | AND | IN
  | NOT | IS | TRUE | FALSE
  ;

// ---------------------------------------------------------------- lexer

GROUP     : 'group' ;
TAG       : 'tag' ;
OWNED     : 'owned' ;
BY        : 'by' ;
HOST      : 'host' ;
IPSET     : 'ipset' ;
ADD       : 'add' ;
REMOVE    : 'remove' ;
POSTURE   : 'posture' ;
DEFAULT   : 'default' ;
ALLOW     : 'allow' ;
DENY      : 'deny' ;
GRANT     : 'grant' ;
IP        : 'ip' ;
APP       : 'app' ;
VIA       : 'via' ;
WHEN      : 'when' ;
PROTO     : 'proto' ;
SSH       : 'ssh' ;
ACCEPT    : 'accept' ;
CHECK     : 'check' ;
AS        : 'as' ;
PERIOD    : 'period' ;
ENV       : 'env' ;
POOL      : 'pool' ;
TEST      : 'test' ;
CAN       : 'can' ;
CANNOT    : 'cannot' ;
REACH     : 'reach' ;
ATTR      : 'attr' ;
FOR       : 'for' ;
APPROVE   : 'approve' ;
ROUTE     : 'route' ;
EXIT_NODE : 'exit-node' ;
SERVICE   : 'service' ;
RECORDER  : 'recorder' ;
ENFORCE_RECORDER : 'enforce-recorder' ;
DERP      : 'derp' ;
EMPTY     : 'empty' ;
TRUE      : 'true' ;
FALSE     : 'false' ;
// Posture operators are case-insensitive (Tailscale writes them upper case); `set` doubles as
// the statement keyword.
AND       : [aA][nN][dD] ;
IN        : [iI][nN] ;
NOT       : [nN][oO][tT] ;
IS        : [iI][sS] ;
SET       : [sS][eE][tT] ;

ARROW  : '->' ;
EQEQ   : '==' ;
NEQ    : '!=' ;
LE     : '<=' ;
GE     : '>=' ;
LT     : '<' ;
GT     : '>' ;
EQ     : '=' ;
COMMA  : ',' ;
LBRACK : '[' ;
RBRACK : ']' ;
LPAREN : '(' ;
RPAREN : ')' ;

/** A negative number (posture values); positive numbers are atoms. */
NUMBER : '-' [0-9]+ ('.' [0-9]+)? ;

/** A bracketed IPv6 destination, [fd7a::1]:22 (the brackets hold at least one ':'). */
V6_DEST : '[' [0-9a-fA-F.]* ':' [0-9a-fA-F:.]* ']' (':' [0-9a-zA-Z*\-]+ (',' [0-9] [0-9a-zA-Z*\-]*)*)? ;

/** Bare words: names, logins, selectors, IPs, CIDRs, ranges, ports, target:ports. */
ATOM : ATOM_CHAR ATOM_TAIL* ;
fragment ATOM_CHAR : [a-zA-Z0-9_.:@*~%+] | '\u0080'..'\uFFFE' ;
fragment ATOM_TAIL
  : ATOM_CHAR
  | '-'+ ATOM_CHAR
  | '/' [a-zA-Z0-9_.:@~%+]
  | ',' [0-9]
  ;

/** "double" or 'single' quoted; escapes are checked by the reader (JSON's set plus \'). */
STRING
  : '"' ('\\' ~[\r\n] | ~["\\\r\n])* '"'
  | '\'' ('\\' ~[\r\n] | ~['\\\r\n])* '\''
  ;

/** A string with no closing quote on its line; the reader reports it. */
UNTERMINATED_STRING
  : '"' ('\\' ~[\r\n] | ~["\\\r\n])*
  | '\'' ('\\' ~[\r\n] | ~['\\\r\n])*
  ;

/** '{' starts a balanced JSON value (JSON_BLOCK), scanned by hand; parsed by Jackson later. */
LBRACE : '{' { scanJsonBlock(); } ;

LINE_COMMENT  : ('#' | '//') ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
/** '/*' without its end: matched only when BLOCK_COMMENT cannot match (it is longer). */
OPEN_COMMENT  : '/*' { consumeRest(); setType(TpolParser.UNTERMINATED_COMMENT); setChannel(HIDDEN); } ;
WS : [ \t\r\n\f\uFEFF]+ -> skip ;

/** Anything else: reported by the reader as an unexpected character. */
ERROR_CHAR : . ;
