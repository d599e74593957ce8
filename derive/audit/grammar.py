"""Reading stage 2: tokens of one side into a parse tree, by a Lark LALR grammar.

The grammar covers the notation of hand backprop derivations: implicit products,
\\frac{dL}{dv} and \\frac{d}{dv}[...], \\Delta labels, sums, piecewise cases, Iverson
brackets ([a > 0] is 1 where a > 0 and 0 elsewhere), and a side
that holds under a condition ('u \\text{when} y_1 + y_2 = 1').
"""

from __future__ import annotations

from functools import cache

import lark
from lark.lexer import Lexer

from derive.audit.lexer import ReadError, Token, tokenize

GRAMMAR = r"""
start: expr | piecewise

piecewise: piece (COMMA piece)* COMMA expr OTHERWISE -> piecewise_otherwise
         | piece (COMMA piece)*                       -> piecewise_all
piece: expr IF cond
cond: expr REL expr | expr EQ expr

?expr: signed
     | expr PLUS term     -> add
     | expr MINUS term    -> subtract

?signed: term
       | MINUS signed     -> neg
       | PLUS signed      -> pos

?term: product
     | SUM limits term           -> sum
     | product SUM limits term   -> product_sum

?product: factor
        | product factor        -> mul
        | product STAR factor   -> mul
        | product SLASH factor  -> div

?factor: power
       | function factor          -> apply
       | function PRIME factor    -> apply_prime
       | DELTA power              -> label
       | operator factor          -> apply_operator
       | D power DSLASH D power   -> derivative

function: LN | EXP | TANH | SIGMA | RELU
operator: FRAC LBRACE D RBRACE LBRACE D power RBRACE

?power: atom
      | atom sub           -> indexed
      | atom sup           -> raised
      | atom sub sup       -> indexed_raised
      | atom sup sub       -> raised_indexed

sub: UNDERSCORE LBRACE index+ RBRACE | UNDERSCORE index
index: NUMBER | LETTER | COMMA
sup: CARET LBRACE expr RBRACE | CARET NUMBER | CARET LETTER

?atom: NUMBER                                              -> number
     | LETTER                                              -> letter
     | LPAR expr RPAR                                      -> group
     | LSQB expr RSQB                                      -> group
     | LBRACE expr RBRACE                                  -> group
     | LPAR piecewise RPAR                                 -> group
     | LSQB piecewise RSQB                                 -> group
     | LSQB cond RSQB                                      -> indicator
     | FRAC LBRACE expr RBRACE LBRACE expr RBRACE          -> fraction
     | FRAC LBRACE D expr RBRACE LBRACE D power RBRACE     -> derivative
     | MAX LPAR expr COMMA expr RPAR                       -> maximum
     | SQRT LBRACE expr RBRACE                             -> square_root
     | BEGIN_CASES case (ROWBREAK case)* ROWBREAK? END_CASES -> cases

case: expr AMP IF? cond  -> case_if
    | expr AMP OTHERWISE -> case_otherwise

limits: UNDERSCORE LETTER upper?
      | UNDERSCORE LBRACE LETTER RBRACE upper?
      | UNDERSCORE LBRACE LETTER EQ expr RBRACE upper?
upper: CARET LBRACE expr RBRACE | CARET NUMBER | CARET LETTER

%declare NUMBER LETTER D DSLASH FRAC LN EXP TANH SIGMA RELU MAX SQRT DELTA SUM STAR SLASH
%declare PLUS MINUS LPAR RPAR LSQB RSQB LBRACE RBRACE CARET UNDERSCORE COMMA AMP
%declare PRIME EQ REL IF OTHERWISE BEGIN_CASES END_CASES ROWBREAK
"""


EMPTY_GROUPS = ("{}", "()", "[]")


class TokenListLexer(Lexer):
    """Feeds Lark the tokens made by ``tokenize``."""

    def __init__(self, lexer_conf):
        pass

    def lex(self, data):
        for index, token in enumerate(data):
            yield lark.Token(token.type, token.value, start_pos=index)


@cache
def parser() -> lark.Lark:
    return lark.Lark(
        GRAMMAR,
        parser="lalr",
        lexer=TokenListLexer,
        strict=True,
        maybe_placeholders=False,
    )


def parse(side: str) -> lark.Tree:
    """The parse tree of one side; raises ReadError, naming where reading stopped."""
    tokens = tokenize(side)
    if not tokens:
        raise ReadError("the side is empty")
    try:
        return parser().parse(tokens)
    except lark.exceptions.UnexpectedToken as error:
        raise ReadError(unexpected(tokens, error)) from None
    except lark.exceptions.UnexpectedEOF:
        raise ReadError("the side ends before its expression does") from None
    except lark.exceptions.UnexpectedInput as error:
        raise ReadError(f"cannot read the side ({type(error).__name__})") from None


def unexpected(tokens: list[Token], error: lark.exceptions.UnexpectedToken) -> str:
    """Which token stopped the parser, and the few read just before it."""
    if error.token.type == "$END":
        return "the side ends before its expression does"
    index = error.token.start_pos or 0
    if index and tokens[index - 1].value + error.token.value in EMPTY_GROUPS:
        return f"the group '{tokens[index - 1].value}{error.token.value}' is empty"
    before = " ".join(token.value for token in tokens[max(0, index - 5) : index])
    where = f" after '{before}'" if before else " at the start"
    return f"cannot read '{error.token.value}'{where}"
