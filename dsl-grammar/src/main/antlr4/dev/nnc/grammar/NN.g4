// The .nn language. No actions: the compiler's AstBuilder visits this tree.
// Every alternative is labelled; the entry rule ends in EOF.
grammar NN;

program
    : definition* EOF
    ;

definition
    : 'model' name=ID '{' statement* '}'                                   # modelDef
    | 'block' name=ID '(' (params+=ID (',' params+=ID)*)? ')' '{' statement* '}'  # blockDef
    ;

statement
    : 'input' name=ID ':' tensorType                  # inputStmt
    | 'target' name=ID ':' tensorType                 # targetStmt
    | 'param' name=ID ':' tensorType ('=' init=expr)? # paramStmt
    | name=ID '=' expr                                # assignStmt
    | 'output' expr (',' expr)*                       # outputStmt
    | 'loss' expr                                     # lossStmt
    | 'optimizer' call                                # optimizerStmt
    | 'regularize' call                               # regularizeStmt
    | 'return' expr                                   # returnStmt
    ;

tensorType
    : dtype=ID '[' dim (',' dim)* ']'
    ;

dim
    : NUMBER    # fixedDim
    | ID        # symbolicDim
    ;

// Precedence, tightest first: unary minus; * / @; + -; |> (loosest).
expr
    : primary                                 # primaryExpr
    | '-' expr                                # negateExpr
    | expr op=('*' | '/' | '@') expr          # mulExpr
    | expr op=('+' | '-') expr                # addExpr
    | expr '|>' pipeTarget                    # pipeExpr
    ;

// The right side of |>: a function name, or a call whose first argument is the left side.
pipeTarget
    : call                                    # pipeCall
    | ID                                      # pipeName
    ;

primary
    : call                                    # callPrimary
    | ID                                      # namePrimary
    | NUMBER                                  # numberPrimary
    | value=('true' | 'false')                # boolPrimary
    | STRING                                  # stringPrimary
    | '[' (expr (',' expr)*)? ']'             # listPrimary
    | '(' expr ')'                            # parenPrimary
    ;

call
    : fn=ID '(' (arg (',' arg)*)? ')' ('as' alias=ID)?
    ;

arg
    : (name=ID '=')? expr
    ;

NUMBER
    : DIGITS ('.' DIGITS?)? EXPONENT?
    | '.' DIGITS EXPONENT?
    ;
ID              : [a-zA-Z_] [a-zA-Z_0-9]* ;
// A string argument such as pad = "same": no escapes, no line breaks.
STRING          : '"' ~["\\\r\n]* '"' ;
LINE_COMMENT    : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT   : '/*' .*? '*/' -> skip ;
// A '/*' that is never closed: reported by the compiler, not by ANTLR.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS              : [ \t\r\n\f]+ -> skip ;
// Any other character: reported by the compiler as a positioned error.
ERROR_CHAR      : . ;

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
