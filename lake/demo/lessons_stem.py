"""Lesson texts for the demo school's STEM classes: Algebra I, Biology and Physics.

Written for this project as short, correct introductory lessons; each quiz item can be answered
from the pages of its module.
"""

from __future__ import annotations

from lake.demo.curriculum import ClassSpec, Item, Media, Module, Page, Skill

ALGEBRA = ClassSpec(
    key="alg1",
    title="Algebra I",
    course_code="MATH-ALG1",
    subject="Mathematics",
    subject_code="02052",
    grades=("09",),
    school="sch-north",
    location="Room 104",
    period="2",
    modules=(
        Module(
            title="Linear equations",
            skills=(
                Skill(
                    "alg.linear.solve",
                    "Solve linear equations",
                    "Isolate the variable in one- and two-step linear equations.",
                ),
                Skill(
                    "alg.linear.check",
                    "Check solutions",
                    "Substitute a solution back into an equation to verify it.",
                ),
            ),
            pages=(
                Page(
                    "Solving linear equations",
                    """A **linear equation** in one variable is an equation such as `3x + 5 = 20`,
in which the variable appears only to the first power. Solving it means finding the value of the
variable that makes both sides equal.

The key idea is balance. An equation is like a scale in equilibrium: whatever you do to one side,
you must do to the other, or the balance is lost. We undo the operations applied to the variable
using **inverse operations**, working in the reverse order of the order of operations.

Example: solve `3x + 5 = 20`.

1. The variable is multiplied by 3, then 5 is added. Undo the addition first: subtract 5 from both
   sides, giving `3x = 15`.
2. Undo the multiplication: divide both sides by 3, giving `x = 5`.

Addition is undone by subtraction, subtraction by addition, multiplication by division and
division by multiplication. When the variable appears on both sides, as in `5x - 4 = 2x + 11`,
first collect the variable terms on one side: subtract `2x` from both sides to get `3x - 4 = 11`,
then add 4 to get `3x = 15`, so `x = 5`.

If the equation contains brackets, expand them first using the distributive property:
`2(x + 3) = 14` becomes `2x + 6 = 14`, so `2x = 8` and `x = 4`. Fractions can be cleared by
multiplying every term by the common denominator: `x/4 = 3` gives `x = 12`.""",
                ),
                Page(
                    "Checking your solution",
                    """Every solution can be checked, and checking is the habit that separates a
guess from an answer. To **check** a solution, substitute the value back into the *original*
equation and evaluate each side separately. If both sides give the same number, the solution is
correct.

Check `x = 5` in `3x + 5 = 20`: the left side is `3 × 5 + 5 = 15 + 5 = 20`, and the right side is
20. Both sides agree, so `x = 5` is correct.

Check `x = 4` in `2(x + 3) = 14`: the left side is `2 × (4 + 3) = 2 × 7 = 14`. It agrees.

Suppose a student claims that `x = 3` solves `4x - 7 = 9`. The left side is `4 × 3 - 7 = 5`,
which is not 9, so the claim is wrong; the correct solution is `x = 4`, because `4 × 4 - 7 = 9`.

Always substitute into the original equation rather than into a later line of your work: if an
error crept in while rearranging, checking against a rearranged line would repeat the mistake
instead of catching it. Some equations have no solution (`x + 1 = x + 2`) and some are true for
every value (`2x + 2 = 2(x + 1)`); rearranging them leaves a false or an always-true statement.""",
                ),
            ),
            video=Media(
                "Balancing equations step by step",
                "A teacher solves four linear equations on a balance scale model, showing why "
                "each inverse operation is applied to both sides.",
                412,
            ),
            resource=Media(
                "Worksheet: one- and two-step equations",
                "Twenty practice equations with an answer key, from `x + 7 = 12` to "
                "`5x - 4 = 2x + 11`.",
            ),
            items=(
                Item("Solve 3x + 5 = 20.", "x = 5", ("x = 25/3", "x = 15", "x = 8"), 0),
                Item("Solve 2(x + 3) = 14.", "x = 4", ("x = 5.5", "x = 8", "x = 11"), 0),
                Item("Solve 5x - 4 = 2x + 11.", "x = 5", ("x = 7/3", "x = 15", "x = 1"), 0),
                Item(
                    "Which value solves 4x - 7 = 9?",
                    "x = 4",
                    ("x = 3", "x = 1/2", "x = 16"),
                    1,
                ),
                Item(
                    "How should you check a solution to an equation?",
                    "Substitute it into the original equation and compare both sides",
                    (
                        "Substitute it into the last line of your working",
                        "Solve the equation a second time the same way",
                        "Check that the solution is a whole number",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="Inequalities",
            skills=(
                Skill(
                    "alg.ineq.solve",
                    "Solve linear inequalities",
                    "Solve inequalities, reversing the sign when multiplying by a negative.",
                ),
                Skill(
                    "alg.ineq.graph",
                    "Graph inequalities",
                    "Represent solution sets on a number line.",
                ),
            ),
            pages=(
                Page(
                    "Solving inequalities",
                    """An **inequality** compares two expressions using `<` (less than), `>`
(greater than), `≤` (less than or equal to) or `≥` (greater than or equal to). Unlike an
equation, an inequality usually has infinitely many solutions: `x > 3` is true for 4, 3.5,
100 and every other number greater than 3.

Inequalities are solved almost exactly like equations. You may add or subtract the same number on
both sides, and you may multiply or divide both sides by the same *positive* number, without
changing the direction of the sign. For example, `2x + 1 < 9` gives `2x < 8`, so `x < 4`.

There is one important exception. When you **multiply or divide both sides by a negative
number, you must reverse the inequality sign**. To see why, start from the true statement
`2 < 5` and multiply both sides by -1: you get -2 and -5, and -2 is *greater* than -5, so the
true statement is `-2 > -5`.

Example: solve `-3x + 4 ≥ 10`. Subtract 4: `-3x ≥ 6`. Divide by -3 and reverse the sign:
`x ≤ -2`. Check with a value in the solution set, such as `x = -3`: `-3 × -3 + 4 = 13`, and
13 ≥ 10 is true.""",
                ),
                Page(
                    "Graphing solution sets",
                    """A solution set can be drawn on a **number line**. Place a circle at the
boundary number and shade the part of the line that contains the solutions.

- An **open circle** means the boundary is *not* included; use it for `<` and `>`.
- A **closed (filled) circle** means the boundary *is* included; use it for `≤` and `≥`.

So `x < 4` is drawn with an open circle at 4 and shading to the left, while `x ≥ -2` is drawn
with a closed circle at -2 and shading to the right.

A **compound inequality** such as `-1 < x ≤ 3` describes the numbers between two boundaries. Its
graph has an open circle at -1, a closed circle at 3 and shading between them. The word "and"
gives the overlap of two conditions; "or" (for example `x < -1 or x > 3`) gives both pieces.

Inequalities describe real limits: "you must be at least 16" is `age ≥ 16`, and "the lift holds
less than 800 kg" is `mass < 800`. Always decide whether the boundary value itself is allowed;
that decides the sign and the circle.""",
                ),
            ),
            video=Media(
                "Why the sign flips",
                "A short animation multiplies points on a number line by -1 to show why "
                "inequalities reverse.",
                305,
            ),
            resource=Media(
                "Number line templates",
                "Printable number lines for graphing inequalities and compound inequalities.",
            ),
            items=(
                Item("Solve 2x + 1 < 9.", "x < 4", ("x < 5", "x > 4", "x < 8"), 0),
                Item("Solve -3x + 4 ≥ 10.", "x ≤ -2", ("x ≥ -2", "x ≤ 2", "x ≥ 2"), 0),
                Item(
                    "When must you reverse an inequality sign?",
                    "When multiplying or dividing both sides by a negative number",
                    (
                        "When subtracting a negative number from both sides",
                        "Whenever the variable is on the right side",
                        "When dividing both sides by any number",
                    ),
                    0,
                ),
                Item(
                    "Which graph shows x ≥ -2?",
                    "A closed circle at -2 with shading to the right",
                    (
                        "An open circle at -2 with shading to the right",
                        "A closed circle at -2 with shading to the left",
                        "An open circle at 2 with shading to the left",
                    ),
                    1,
                ),
                Item(
                    "What does an open circle on a number line mean?",
                    "The boundary value is not included",
                    (
                        "The boundary value is included",
                        "The inequality has no solution",
                        "The solution set is empty on that side",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="Linear functions and slope",
            skills=(
                Skill(
                    "alg.func.slope",
                    "Find slope",
                    "Compute the slope of a line from two points or an equation.",
                ),
                Skill(
                    "alg.func.intercept",
                    "Slope-intercept form",
                    "Read and write lines in the form y = mx + b.",
                ),
            ),
            pages=(
                Page(
                    "Slope as a rate of change",
                    """The **slope** of a line measures how steep it is: how much `y` changes
for each one-unit increase in `x`. Between two points `(x₁, y₁)` and `(x₂, y₂)` the slope is

`m = (y₂ - y₁) / (x₂ - x₁)`, often remembered as "rise over run".

Example: the line through `(1, 3)` and `(4, 9)` has slope `(9 - 3) / (4 - 1) = 6 / 3 = 2`. Each
step of 1 to the right goes up 2.

The sign of the slope tells the direction. A **positive** slope rises from left to right, a
**negative** slope falls, a slope of **zero** gives a horizontal line, and a vertical line has an
**undefined** slope because its run is zero and we cannot divide by zero.

Slope is a **rate of change**, which is why it appears everywhere. If a taxi charges a fixed fee
plus 2 dollars per kilometre, the graph of cost against distance has slope 2 (dollars per
kilometre). If a candle shrinks 0.5 cm every hour, its height against time has slope -0.5. The
units of the slope are always "units of y per unit of x".""",
                ),
                Page(
                    "Slope-intercept form",
                    """Every non-vertical line can be written as `y = mx + b`, the
**slope-intercept form**. Here `m` is the slope and `b` is the **y-intercept**, the value of `y`
where the line crosses the y-axis (where `x = 0`).

From the equation `y = 3x - 2` you can read the slope 3 and the y-intercept -2 immediately. To
graph it, plot `(0, -2)`, then move 1 right and 3 up to reach `(1, 1)`, and draw the line
through the points.

To write the equation of a line from two points, first find the slope, then substitute one point
to find `b`. For the line through `(1, 3)` and `(4, 9)`, the slope is 2, so `y = 2x + b`.
Substituting `(1, 3)` gives `3 = 2 + b`, so `b = 1` and the line is `y = 2x + 1`.

In the taxi example, a 4-dollar fixed fee and 2 dollars per kilometre give `C = 2d + 4`: the
intercept is the cost before you travel at all. Two lines with the same slope are **parallel**;
they never meet unless they are the same line.""",
                ),
            ),
            video=Media(
                "Rise over run",
                "Finding slopes from graphs, tables and pairs of points.",
                376,
            ),
            resource=Media(
                "Graph paper and slope practice",
                "A printable grid with ten lines to identify, including horizontal and vertical "
                "lines.",
            ),
            items=(
                Item(
                    "What is the slope of the line through (1, 3) and (4, 9)?",
                    "2",
                    ("1/2", "6", "3"),
                    0,
                ),
                Item(
                    "What is the slope of a horizontal line?",
                    "0",
                    ("1", "Undefined", "It depends on the y-intercept"),
                    0,
                ),
                Item(
                    "In y = 3x - 2, what is the y-intercept?",
                    "-2",
                    ("3", "2", "-2/3"),
                    1,
                ),
                Item(
                    "Which equation describes the line through (1, 3) and (4, 9)?",
                    "y = 2x + 1",
                    ("y = 2x + 3", "y = 3x + 1", "y = x + 2"),
                    1,
                ),
                Item(
                    "A taxi costs 4 dollars plus 2 dollars per km. Which equation gives the cost?",
                    "C = 2d + 4",
                    ("C = 4d + 2", "C = 6d", "C = 2d - 4"),
                    1,
                ),
            ),
        ),
        Module(
            title="Systems of linear equations",
            skills=(
                Skill(
                    "alg.sys.substitution",
                    "Solve systems by substitution",
                    "Solve a pair of linear equations by substituting one into the other.",
                ),
                Skill(
                    "alg.sys.elimination",
                    "Solve systems by elimination",
                    "Add or subtract equations to eliminate a variable.",
                ),
            ),
            pages=(
                Page(
                    "What a system of equations means",
                    """A **system of linear equations** is a set of two or more equations in
the same variables. A solution of the system is a pair `(x, y)` that makes *every* equation true
at once. Graphically, each equation is a line, and the solution is the point where the lines
**intersect**.

Two lines can meet in exactly one point (one solution), be parallel (no solution), or be the same
line (infinitely many solutions). Parallel lines have the same slope but different intercepts.

**Substitution** works well when one equation already gives one variable in terms of the other.
Solve

- `y = 2x + 1`
- `3x + y = 16`

Replace `y` in the second equation by `2x + 1`: `3x + 2x + 1 = 16`, so `5x = 15` and `x = 3`.
Substitute back: `y = 2 × 3 + 1 = 7`. The solution is `(3, 7)`. Check it in both equations:
`7 = 2 × 3 + 1` and `3 × 3 + 7 = 16`. Both are true, so the lines cross at `(3, 7)`.""",
                ),
                Page(
                    "The elimination method",
                    """**Elimination** adds or subtracts whole equations so that one variable
cancels. It is convenient when both equations are in the form `ax + by = c`.

Solve

- `x + y = 10`
- `x - y = 4`

Adding the equations eliminates `y`: `2x = 14`, so `x = 7`. Then `7 + y = 10` gives `y = 3`.

Sometimes you must first multiply an equation so that the coefficients match. For

- `2x + 3y = 12`
- `x + y = 5`

multiply the second equation by 2 to get `2x + 2y = 10`, then subtract it from the first:
`y = 2`. Substituting gives `x + 2 = 5`, so `x = 3`.

Systems model situations with two unknowns. If adult tickets cost 8 dollars and child tickets
5 dollars, and 10 tickets cost 62 dollars, then `a + c = 10` and `8a + 5c = 62`. Multiplying the
first by 5 and subtracting gives `3a = 12`, so 4 adult and 6 child tickets were sold.""",
                ),
            ),
            video=Media(
                "Where two lines meet",
                "Solving the same system by graphing, substitution and elimination.",
                498,
            ),
            resource=Media(
                "Word problems with two unknowns",
                "Twelve ticket, mixture and distance problems that lead to linear systems.",
            ),
            items=(
                Item(
                    "Solve the system y = 2x + 1 and 3x + y = 16.",
                    "(3, 7)",
                    ("(7, 3)", "(5, 11)", "(2, 5)"),
                    0,
                ),
                Item(
                    "Solve the system x + y = 10 and x - y = 4.",
                    "(7, 3)",
                    ("(3, 7)", "(6, 4)", "(14, -4)"),
                    1,
                ),
                Item(
                    "How many solutions does a system of two parallel, distinct lines have?",
                    "None",
                    ("Exactly one", "Two", "Infinitely many"),
                    0,
                ),
                Item(
                    "To eliminate x from 2x + 3y = 12 and x + y = 5, you can first:",
                    "Multiply the second equation by 2",
                    (
                        "Multiply the first equation by 3",
                        "Add the two equations as they are",
                        "Divide the first equation by y",
                    ),
                    1,
                ),
                Item(
                    "Graphically, the solution of a system of two linear equations is:",
                    "The point where the lines intersect",
                    (
                        "The y-intercept of the first line",
                        "The difference of the two slopes",
                        "The point where each line crosses the x-axis",
                    ),
                    0,
                ),
            ),
        ),
        Module(
            title="Exponents and polynomials",
            skills=(
                Skill(
                    "alg.poly.exponents",
                    "Laws of exponents",
                    "Apply the product, quotient and power rules for exponents.",
                ),
                Skill(
                    "alg.poly.operations",
                    "Polynomial operations",
                    "Add, subtract and multiply polynomials.",
                ),
            ),
            pages=(
                Page(
                    "The laws of exponents",
                    """An **exponent** says how many times a base is multiplied by itself:
`2⁵ = 2 × 2 × 2 × 2 × 2 = 32`. Three rules follow directly from this meaning.

- **Product rule:** `aᵐ × aⁿ = aᵐ⁺ⁿ`. Multiplying `x³ × x⁴` means three factors of `x` followed
  by four more, so `x⁷`.
- **Quotient rule:** `aᵐ ÷ aⁿ = aᵐ⁻ⁿ` (for `a ≠ 0`). For example `x⁸ ÷ x³ = x⁵`, because three
  factors cancel.
- **Power rule:** `(aᵐ)ⁿ = aᵐⁿ`. So `(x²)³ = x⁶`: three groups of two factors.

Two definitions keep the rules consistent. Any non-zero number to the power zero is 1, because
`x³ ÷ x³ = x⁰` and also equals 1. A negative exponent means a reciprocal: `x⁻² = 1 / x²`.

A common mistake is to multiply exponents when multiplying powers: `x³ × x⁴` is `x⁷`, not
`x¹²`. Another is to apply the rules to different bases: `2³ × 3²` cannot be combined into a
single power; it is simply `8 × 9 = 72`.""",
                ),
                Page(
                    "Working with polynomials",
                    """A **polynomial** is a sum of terms, each a number times a variable raised
to a whole-number power, such as `4x² - 3x + 7`. Its **degree** is the highest power that
appears (here 2). Terms with the same variable and power are **like terms**.

To **add or subtract** polynomials, combine like terms:
`(3x² + 2x - 5) + (x² - 4x + 1) = 4x² - 2x - 4`. When subtracting, distribute the minus sign to
every term of the second polynomial first.

To **multiply**, multiply every term of one polynomial by every term of the other and then
combine like terms. For two binomials:

`(x + 3)(x + 5) = x² + 5x + 3x + 15 = x² + 8x + 15`.

The product of a sum and a difference is a useful special case:
`(x + 4)(x - 4) = x² - 16`, the **difference of squares**, because the middle terms cancel.
Squaring a binomial gives three terms, not two: `(x + 3)² = x² + 6x + 9`.""",
                ),
            ),
            video=Media(
                "Exponent rules from scratch",
                "Deriving the product, quotient and power rules by writing out the factors.",
                341,
            ),
            resource=Media(
                "Polynomial multiplication grid",
                "A box-method template for multiplying binomials and trinomials.",
            ),
            items=(
                Item("Simplify x³ × x⁴.", "x⁷", ("x¹²", "2x⁷", "x¹"), 0),
                Item("Simplify (x²)³.", "x⁶", ("x⁵", "x⁸", "3x²"), 0),
                Item("What is 5⁰?", "1", ("0", "5", "Undefined"), 0),
                Item(
                    "Expand (x + 3)(x + 5).",
                    "x² + 8x + 15",
                    ("x² + 15", "x² + 8x + 8", "2x + 8"),
                    1,
                ),
                Item(
                    "What is the degree of 4x² - 3x + 7?",
                    "2",
                    ("3", "4", "7"),
                    1,
                ),
            ),
        ),
        Module(
            title="Quadratic equations",
            skills=(
                Skill(
                    "alg.quad.factor",
                    "Solve quadratics by factoring",
                    "Factor a quadratic and use the zero-product property.",
                ),
                Skill(
                    "alg.quad.formula",
                    "Quadratic formula",
                    "Solve any quadratic with the quadratic formula and the discriminant.",
                ),
            ),
            pages=(
                Page(
                    "Solving quadratics by factoring",
                    """A **quadratic equation** has the form `ax² + bx + c = 0` with `a ≠ 0`.
Its graph, a **parabola**, can cross the x-axis twice, touch it once or miss it, so a quadratic
has two, one or no real solutions (also called **roots**).

When the quadratic factors, use the **zero-product property**: if a product equals zero, at
least one factor must be zero.

Example: solve `x² - 5x + 6 = 0`. We need two numbers that multiply to 6 and add to -5: -2 and
-3. So `(x - 2)(x - 3) = 0`, which means `x - 2 = 0` or `x - 3 = 0`, giving `x = 2` or `x = 3`.

Always rearrange so that one side is zero before factoring. To solve `x² = 4x`, write
`x² - 4x = 0`, factor as `x(x - 4) = 0` and get `x = 0` or `x = 4`. Dividing both sides by `x`
instead would lose the solution `x = 0`.

Check roots by substitution: `2² - 5 × 2 + 6 = 4 - 10 + 6 = 0`.""",
                ),
                Page(
                    "The quadratic formula",
                    """Not every quadratic factors neatly, but every one can be solved with the
**quadratic formula**:

`x = (-b ± √(b² - 4ac)) / (2a)`.

The expression under the root, `b² - 4ac`, is the **discriminant**. It tells you how many real
solutions there are before you finish the calculation:

- positive: two different real solutions;
- zero: exactly one (repeated) solution, where the parabola touches the x-axis;
- negative: no real solutions, because the square root of a negative number is not real.

Example: solve `2x² + 3x - 2 = 0`. Here `a = 2`, `b = 3`, `c = -2`, so the discriminant is
`9 + 16 = 25` and `√25 = 5`. Then `x = (-3 ± 5) / 4`, giving `x = 1/2` or `x = -2`.

For `x² + 2x + 5 = 0` the discriminant is `4 - 20 = -16`, which is negative, so the equation has
no real solutions and its parabola lies entirely above the x-axis.""",
                ),
            ),
            video=Media(
                "Parabolas and their roots",
                "Connecting factored form, the discriminant and where a parabola meets the axis.",
                455,
            ),
            resource=Media(
                "Quadratic formula reference card",
                "A one-page summary of the formula, the discriminant and worked examples.",
            ),
            items=(
                Item(
                    "Solve x² - 5x + 6 = 0.",
                    "x = 2 or x = 3",
                    ("x = -2 or x = -3", "x = 1 or x = 6", "x = 5 or x = 6"),
                    0,
                ),
                Item(
                    "Solve x² = 4x.",
                    "x = 0 or x = 4",
                    ("x = 4 only", "x = 2 or x = -2", "x = 0 only"),
                    0,
                ),
                Item(
                    "What is the discriminant of 2x² + 3x - 2 = 0?",
                    "25",
                    ("-7", "17", "5"),
                    1,
                ),
                Item(
                    "If the discriminant is negative, the quadratic has:",
                    "No real solutions",
                    ("Two real solutions", "Exactly one real solution", "Infinitely many"),
                    1,
                ),
                Item(
                    "Which property lets you solve (x - 2)(x - 3) = 0?",
                    "The zero-product property",
                    (
                        "The distributive property",
                        "The commutative property",
                        "The quotient rule",
                    ),
                    0,
                ),
            ),
        ),
    ),
)

BIOLOGY = ClassSpec(
    key="bio1",
    title="Biology",
    course_code="SCI-BIO1",
    subject="Life and Physical Sciences",
    subject_code="03051",
    grades=("09", "10"),
    school="sch-north",
    location="Lab 2",
    period="3",
    modules=(
        Module(
            title="Cell structure",
            skills=(
                Skill(
                    "bio.cell.types",
                    "Cell types",
                    "Distinguish prokaryotic and eukaryotic, plant and animal cells.",
                ),
                Skill(
                    "bio.cell.organelles",
                    "Organelles",
                    "Name organelles and their functions.",
                ),
            ),
            pages=(
                Page(
                    "Prokaryotic and eukaryotic cells",
                    """The **cell** is the basic unit of life: every living thing is made of
one or more cells, and every cell comes from an existing cell. These statements form the **cell
theory**, developed in the nineteenth century by Schleiden, Schwann and Virchow.

Cells come in two basic designs. **Prokaryotic** cells, the cells of bacteria and archaea, are
small (typically 1-10 micrometres) and have **no nucleus**: their DNA sits in a region of the
cytoplasm called the nucleoid, usually as a single circular chromosome. They also lack
membrane-bound organelles, though they have ribosomes, a cell membrane and usually a cell wall.

**Eukaryotic** cells, found in animals, plants, fungi and protists, are larger (often 10-100
micrometres) and keep their DNA inside a **nucleus** surrounded by a double membrane. They
contain many membrane-bound compartments, the **organelles**, that divide the cell's work.

Plant and animal cells are both eukaryotic but differ in three visible ways. Plant cells have a
rigid **cell wall** made of cellulose outside the membrane, **chloroplasts** for photosynthesis,
and usually a large central **vacuole** that stores water and keeps the cell firm. Animal cells
have none of these, and their shape is more flexible.""",
                ),
                Page(
                    "Organelles and what they do",
                    """Each organelle in a eukaryotic cell has a job, a little like the
departments of a factory.

- The **nucleus** holds the DNA and controls the cell's activities by deciding which genes are
  used.
- **Ribosomes** build proteins; they float in the cytoplasm or stud the rough endoplasmic
  reticulum.
- The **endoplasmic reticulum (ER)** is a network of membranes. Rough ER, covered in ribosomes,
  folds and transports proteins; smooth ER makes lipids.
- The **Golgi apparatus** modifies, sorts and packages proteins into vesicles for delivery
  inside or outside the cell.
- **Mitochondria** carry out cellular respiration, releasing energy from glucose as ATP. Cells
  that need much energy, such as muscle cells, contain many of them.
- **Chloroplasts** (plants and algae only) capture light energy for photosynthesis.
- **Lysosomes** contain enzymes that digest worn-out parts and food particles.
- The **cell membrane** controls what enters and leaves the cell.

Mitochondria and chloroplasts have their own small circular DNA and their own ribosomes,
evidence that they descend from bacteria that once lived inside other cells.""",
                ),
            ),
            video=Media(
                "A tour of the cell",
                "A 3D animation travels through an animal cell and a plant cell, naming each "
                "organelle.",
                520,
            ),
            resource=Media(
                "Cell diagram to label",
                "Blank diagrams of a plant and an animal cell for labelling practice.",
            ),
            items=(
                Item(
                    "Which feature do prokaryotic cells lack?",
                    "A nucleus",
                    ("Ribosomes", "A cell membrane", "DNA"),
                    0,
                ),
                Item(
                    "Which structure is found in plant cells but not animal cells?",
                    "A cellulose cell wall",
                    ("Mitochondria", "Ribosomes", "A cell membrane"),
                    0,
                ),
                Item(
                    "Which organelle releases energy from glucose as ATP?",
                    "Mitochondrion",
                    ("Golgi apparatus", "Ribosome", "Lysosome"),
                    1,
                ),
                Item(
                    "What is the main job of ribosomes?",
                    "Building proteins",
                    ("Storing water", "Digesting waste", "Capturing light energy"),
                    1,
                ),
                Item(
                    "Which organelle packages proteins into vesicles?",
                    "Golgi apparatus",
                    ("Nucleus", "Chloroplast", "Smooth ER"),
                    1,
                ),
            ),
        ),
        Module(
            title="Membranes and transport",
            skills=(
                Skill(
                    "bio.transport.passive",
                    "Passive transport",
                    "Explain diffusion and osmosis.",
                ),
                Skill(
                    "bio.transport.active",
                    "Active transport",
                    "Explain transport that needs energy, such as pumps.",
                ),
            ),
            pages=(
                Page(
                    "Diffusion and osmosis",
                    """The cell membrane is a **phospholipid bilayer**: two layers of molecules
with water-loving heads facing outward and water-fearing tails facing inward, with proteins
embedded in it. It is **selectively permeable**: small non-polar molecules such as oxygen and
carbon dioxide pass easily, while ions and large molecules need help.

**Diffusion** is the net movement of particles from a region of higher concentration to a region
of lower concentration, down a **concentration gradient**. It needs no energy from the cell;
particles move because of their random motion. Oxygen diffuses into cells from the blood
because the cell uses oxygen and keeps its inside concentration low. Diffusion is faster at
higher temperature, with a steeper gradient, and across a larger surface area.

**Osmosis** is the diffusion of **water** across a selectively permeable membrane, from a dilute
solution (more water) to a concentrated solution (less water). A red blood cell placed in pure
water takes in water and may burst; in very salty water it loses water and shrivels. Plant cells
do not burst because the cell wall resists the pressure, which keeps them firm (turgid).

Diffusion through special channel or carrier proteins, still down the gradient and without
energy, is called **facilitated diffusion**; glucose often enters cells this way.""",
                ),
                Page(
                    "Active transport",
                    """Sometimes a cell must move substances **against** their concentration
gradient, from low to high concentration. This is **active transport**, and it requires energy,
supplied by **ATP** from respiration, and carrier proteins called **pumps**.

The best-known example is the **sodium-potassium pump**, found in the membranes of animal cells.
Each cycle uses one ATP to push three sodium ions out of the cell and bring two potassium ions
in. The gradients it builds are essential for nerve impulses.

Root hair cells in plants use active transport to absorb mineral ions, such as nitrate, from the
soil, even though the ions are often more concentrated inside the root than in the soil water.
Cells that do a lot of active transport contain many mitochondria to supply the ATP.

Large particles are moved in bulk. In **endocytosis** the membrane folds around material and
pinches off to bring it inside (white blood cells engulf bacteria this way); in **exocytosis**
vesicles fuse with the membrane to release their contents, as when cells secrete hormones.

In short: diffusion and osmosis are passive and go down a gradient; active transport uses energy
and can go against it.""",
                ),
            ),
            video=Media(
                "Osmosis in an egg",
                "A decalcified egg swells in water and shrinks in syrup over two days.",
                288,
            ),
            resource=Media(
                "Lab: osmosis in potato cylinders",
                "Procedure and results table for measuring mass change in salt solutions.",
            ),
            items=(
                Item(
                    "Diffusion is the net movement of particles:",
                    "From higher to lower concentration",
                    (
                        "From lower to higher concentration",
                        "Only through protein pumps",
                        "Only when the cell supplies ATP",
                    ),
                    0,
                ),
                Item(
                    "Osmosis is the diffusion of which substance?",
                    "Water",
                    ("Glucose", "Oxygen", "Sodium ions"),
                    0,
                ),
                Item(
                    "What happens to a red blood cell in pure water?",
                    "It swells and may burst",
                    ("It shrivels", "Nothing changes", "It grows a cell wall"),
                    0,
                ),
                Item(
                    "Active transport differs from diffusion because it:",
                    "Needs energy and can move substances against a gradient",
                    (
                        "Only moves water",
                        "Happens only in prokaryotes",
                        "Needs no membrane proteins",
                    ),
                    1,
                ),
                Item(
                    "How many sodium ions does the sodium-potassium pump move out per cycle?",
                    "Three",
                    ("Two", "One", "Four"),
                    1,
                ),
            ),
        ),
        Module(
            title="Photosynthesis",
            skills=(
                Skill(
                    "bio.photo.equation",
                    "Photosynthesis equation",
                    "State the inputs and outputs of photosynthesis.",
                ),
                Skill(
                    "bio.photo.factors",
                    "Limiting factors",
                    "Explain how light, carbon dioxide and temperature affect the rate.",
                ),
            ),
            pages=(
                Page(
                    "How plants make food",
                    """**Photosynthesis** is the process in which plants, algae and some bacteria
use light energy to make glucose from carbon dioxide and water. It takes place in the
**chloroplasts**, whose green pigment **chlorophyll** absorbs mainly red and blue light and
reflects green, which is why leaves look green.

The overall equation is:

`carbon dioxide + water → glucose + oxygen` (with light energy), or
`6CO₂ + 6H₂O → C₆H₁₂O₆ + 6O₂`.

Carbon dioxide enters the leaf through tiny pores called **stomata**; water travels up from the
roots through the **xylem**. The oxygen is a by-product and leaves through the stomata.

Photosynthesis happens in two stages. In the **light-dependent reactions**, in the thylakoid
membranes, light energy splits water molecules, releasing oxygen and producing the energy
carriers ATP and NADPH. In the **light-independent reactions (Calvin cycle)**, in the stroma,
that energy is used to fix carbon dioxide into sugars.

The glucose is used for respiration, converted to starch for storage, to cellulose for cell
walls, or combined with nitrates to make proteins. Nearly all food chains depend on this
process.""",
                ),
                Page(
                    "Limiting factors",
                    """The rate of photosynthesis depends on conditions. A **limiting factor** is
the one in shortest supply, which holds the rate back even when everything else is plentiful.

- **Light intensity.** More light raises the rate, until another factor becomes limiting and the
  graph levels off.
- **Carbon dioxide concentration.** More CO₂ raises the rate in the same way; growers add CO₂
  to greenhouses for this reason.
- **Temperature.** Photosynthesis is controlled by enzymes, so the rate rises with temperature
  up to an optimum (often around 25-35 °C), then falls sharply as the enzymes are denatured.

You can measure the rate by counting the oxygen bubbles given off by pondweed at different
distances from a lamp. Moving the lamp closer increases the light intensity and the bubbling,
until the rate stops rising: at that point CO₂ or temperature is the limiting factor.

Water shortage also slows photosynthesis, mostly indirectly: a wilting plant closes its stomata
to save water, which cuts off its supply of carbon dioxide.""",
                ),
            ),
            video=Media(
                "Inside a chloroplast",
                "Animation of the light-dependent reactions and the Calvin cycle.",
                463,
            ),
            resource=Media(
                "Pondweed experiment data sheet",
                "Bubble counts at five lamp distances, with questions on limiting factors.",
            ),
            items=(
                Item(
                    "Which gas is released as a by-product of photosynthesis?",
                    "Oxygen",
                    ("Carbon dioxide", "Nitrogen", "Methane"),
                    0,
                ),
                Item(
                    "Where in the cell does photosynthesis take place?",
                    "Chloroplasts",
                    ("Mitochondria", "Nucleus", "Ribosomes"),
                    0,
                ),
                Item(
                    "Through which structures does carbon dioxide enter a leaf?",
                    "Stomata",
                    ("Xylem vessels", "Root hairs", "Chlorophyll"),
                    0,
                ),
                Item(
                    "Why does the rate of photosynthesis fall at very high temperatures?",
                    "Enzymes are denatured",
                    (
                        "There is too much light",
                        "Carbon dioxide becomes toxic",
                        "Chlorophyll turns red",
                    ),
                    1,
                ),
                Item(
                    "Adding light no longer increases the rate. What is most likely limiting it?",
                    "Carbon dioxide concentration or temperature",
                    ("Light intensity", "The colour of the lamp", "The number of stomata"),
                    1,
                ),
            ),
        ),
        Module(
            title="Cellular respiration",
            skills=(
                Skill(
                    "bio.resp.aerobic",
                    "Aerobic respiration",
                    "Describe aerobic respiration and its products.",
                ),
                Skill(
                    "bio.resp.anaerobic",
                    "Anaerobic respiration",
                    "Compare anaerobic respiration in muscles and yeast.",
                ),
            ),
            pages=(
                Page(
                    "Aerobic respiration",
                    """**Cellular respiration** releases the energy stored in glucose so that
cells can use it. It happens continuously in every living cell, plant and animal alike; it is
not the same as breathing, which only moves air in and out of the lungs.

**Aerobic respiration** uses oxygen:

`glucose + oxygen → carbon dioxide + water` (energy released), or
`C₆H₁₂O₆ + 6O₂ → 6CO₂ + 6H₂O`.

Notice that this is the reverse of the photosynthesis equation. The energy is captured in
molecules of **ATP** (adenosine triphosphate), the cell's energy currency, which power muscle
contraction, active transport and the building of large molecules.

Respiration happens in stages. **Glycolysis**, in the cytoplasm, splits glucose into two
molecules of pyruvate and gives a small amount of ATP. In the **mitochondria**, the Krebs cycle
and the electron transport chain break the pyruvate down completely to carbon dioxide and water,
producing most of the ATP: roughly 30-38 ATP per glucose in total, compared with only 2 from
glycolysis alone.""",
                ),
                Page(
                    "Anaerobic respiration",
                    """When oxygen is scarce, cells can still release a little energy from
glucose by **anaerobic respiration**. It takes place in the cytoplasm only and yields just 2 ATP
per glucose, far less than aerobic respiration, because the glucose is only partly broken down.

In **animal muscles** during hard exercise, the blood cannot deliver oxygen fast enough, so
muscle cells convert glucose to **lactic acid**:

`glucose → lactic acid`.

Lactic acid builds up and contributes to muscle fatigue. After exercise you keep breathing hard
to repay the **oxygen debt**: oxygen is used to break the lactic acid down.

In **yeast** and plant cells, anaerobic respiration is called **fermentation** and produces
ethanol and carbon dioxide:

`glucose → ethanol + carbon dioxide`.

People have used fermentation for thousands of years: the carbon dioxide makes bread dough rise,
and the ethanol is the alcohol in beer and wine. Because anaerobic respiration releases so little
energy, organisms that depend on it alone grow slowly.""",
                ),
            ),
            video=Media(
                "Following a glucose molecule",
                "Glycolysis, the Krebs cycle and the electron transport chain, animated.",
                540,
            ),
            resource=Media(
                "Respiration vs photosynthesis table",
                "A comparison table of inputs, outputs, location and energy.",
            ),
            items=(
                Item(
                    "What are the products of aerobic respiration?",
                    "Carbon dioxide and water",
                    ("Glucose and oxygen", "Lactic acid", "Ethanol and oxygen"),
                    0,
                ),
                Item(
                    "Where does most aerobic respiration take place?",
                    "In the mitochondria",
                    ("In the chloroplasts", "In the nucleus", "In the cell wall"),
                    0,
                ),
                Item(
                    "What does anaerobic respiration produce in human muscles?",
                    "Lactic acid",
                    ("Ethanol", "Oxygen", "Glucose"),
                    1,
                ),
                Item(
                    "Why does bread dough rise when yeast is added?",
                    "Yeast releases carbon dioxide by fermentation",
                    (
                        "Yeast releases oxygen by photosynthesis",
                        "Yeast produces lactic acid",
                        "Yeast absorbs water from the flour",
                    ),
                    1,
                ),
                Item(
                    "Roughly how many ATP does anaerobic respiration give per glucose?",
                    "2",
                    ("36", "0", "100"),
                    1,
                ),
            ),
        ),
        Module(
            title="DNA and protein synthesis",
            skills=(
                Skill(
                    "bio.dna.structure",
                    "DNA structure",
                    "Describe the double helix and base pairing.",
                ),
                Skill(
                    "bio.dna.protein",
                    "Protein synthesis",
                    "Explain transcription and translation.",
                ),
            ),
            pages=(
                Page(
                    "The structure of DNA",
                    """**DNA** (deoxyribonucleic acid) carries the genetic instructions of every
organism. Its structure, a **double helix**, was described in 1953 by James Watson and Francis
Crick, using X-ray images made by Rosalind Franklin.

DNA is a polymer of **nucleotides**. Each nucleotide has three parts: a sugar (deoxyribose), a
phosphate group and one of four **bases**: adenine (A), thymine (T), guanine (G) and cytosine
(C). Sugars and phosphates form the two backbones of the helix, and the bases point inward and
pair across the middle.

Base pairing follows strict rules: **A pairs with T, and G pairs with C**. The two strands are
therefore **complementary**: if one strand reads `ATGCC`, the other reads `TACGG`. This is what
allows DNA to be copied accurately; before a cell divides, the strands separate and each one
serves as a template for a new partner strand.

A **gene** is a section of DNA that codes for a particular protein. The order of the bases is
the code, and it is read three bases at a time.""",
                ),
                Page(
                    "From gene to protein",
                    """Proteins are made in two steps: **transcription** and **translation**.

**Transcription** happens in the nucleus. The DNA of a gene unwinds, and an enzyme builds a
single-stranded copy of it in **messenger RNA (mRNA)**. RNA uses the base uracil (U) instead of
thymine, so a DNA template reading `TAC` is transcribed into the mRNA `AUG`. The mRNA then leaves
the nucleus through a nuclear pore.

**Translation** happens at a **ribosome** in the cytoplasm. The ribosome reads the mRNA in
groups of three bases called **codons**; each codon stands for one amino acid (or a stop
signal). **Transfer RNA (tRNA)** molecules bring the matching amino acids, and the ribosome
joins them into a chain. The chain folds into a protein whose shape determines its job, for
example as an enzyme or as the haemoglobin that carries oxygen.

A **mutation** is a change in the base sequence. Some mutations change one amino acid, some
change none because several codons code for the same amino acid, and a few change the protein's
shape enough to stop it working, as in sickle cell anaemia.""",
                ),
            ),
            video=Media(
                "From DNA to protein",
                "Transcription and translation shown at the molecular scale.",
                505,
            ),
            resource=Media(
                "Codon table",
                "The standard genetic code as a printable wheel and table.",
            ),
            items=(
                Item(
                    "Which base pairs with adenine in DNA?",
                    "Thymine",
                    ("Guanine", "Cytosine", "Uracil"),
                    0,
                ),
                Item(
                    "A DNA strand reads ATGCC. What does the complementary strand read?",
                    "TACGG",
                    ("ATGCC", "UACGG", "GCATT"),
                    0,
                ),
                Item(
                    "Where does transcription take place in a eukaryotic cell?",
                    "In the nucleus",
                    ("At the ribosome", "In the mitochondria", "In the cell membrane"),
                    1,
                ),
                Item(
                    "What is a codon?",
                    "Three mRNA bases that code for one amino acid",
                    (
                        "A protein that copies DNA",
                        "One base of DNA",
                        "A chain of amino acids",
                    ),
                    1,
                ),
                Item(
                    "Which base does RNA use instead of thymine?",
                    "Uracil",
                    ("Adenine", "Guanine", "Cytosine"),
                    1,
                ),
            ),
        ),
        Module(
            title="Genetics and inheritance",
            skills=(
                Skill(
                    "bio.gen.mendel",
                    "Mendelian inheritance",
                    "Use the terms dominant, recessive, genotype and phenotype.",
                ),
                Skill(
                    "bio.gen.punnett",
                    "Punnett squares",
                    "Predict offspring ratios with Punnett squares.",
                ),
            ),
            pages=(
                Page(
                    "Mendel and the rules of inheritance",
                    """In the 1860s the monk **Gregor Mendel** bred pea plants and discovered the
basic rules of inheritance. He crossed tall plants with short plants and found that all the
offspring were tall; but when those offspring were crossed with each other, about one quarter of
the next generation was short again. The "short" factor had been hidden, not lost.

Today we call Mendel's factors **genes**, and the different versions of a gene **alleles**. Each
organism has two alleles for each gene, one from each parent.

- A **dominant** allele (written with a capital letter, `T`) shows its effect even if only one
  copy is present.
- A **recessive** allele (`t`) shows only when both copies are recessive (`tt`).

The combination of alleles is the **genotype**; the characteristic you can observe is the
**phenotype**. An organism with two identical alleles (`TT` or `tt`) is **homozygous**; one with
two different alleles (`Tt`) is **heterozygous**. A `Tt` pea plant is tall, because tall is
dominant, but it carries the short allele and can pass it on.""",
                ),
                Page(
                    "Punnett squares",
                    """A **Punnett square** predicts the possible genotypes of offspring. Write
one parent's alleles across the top and the other parent's down the side, then fill each box
with one allele from each.

Cross two heterozygous tall plants, `Tt × Tt`:

|   | T  | t  |
|---|----|----|
| T | TT | Tt |
| t | Tt | tt |

The genotype ratio is 1 `TT` : 2 `Tt` : 1 `tt`. Since `TT` and `Tt` are both tall, the phenotype
ratio is **3 tall : 1 short**, exactly what Mendel observed. The probability that any one
offspring is short is 1/4, or 25%.

Cross `Tt × tt`: half the boxes are `Tt` and half `tt`, so the expected ratio is 1 tall : 1
short. This **test cross** reveals whether a tall plant is `TT` or `Tt`: if any short offspring
appear, the tall parent must carry the recessive allele.

Remember that the ratios are probabilities. A family of four children from `Tt × Tt` parents will
not necessarily include exactly one with the recessive phenotype, just as four coin tosses need
not give two heads.""",
                ),
            ),
            video=Media(
                "Mendel's peas",
                "The original experiments retold, with the Punnett squares that explain them.",
                398,
            ),
            resource=Media(
                "Punnett square practice",
                "Ten monohybrid crosses with answers.",
            ),
            items=(
                Item(
                    "A plant has the genotype Tt. It is:",
                    "Heterozygous",
                    ("Homozygous dominant", "Homozygous recessive", "A mutant"),
                    0,
                ),
                Item(
                    "A recessive phenotype appears only when the genotype is:",
                    "Two recessive alleles",
                    ("One recessive allele", "Two dominant alleles", "Heterozygous"),
                    0,
                ),
                Item(
                    "What phenotype ratio does a Tt × Tt cross give?",
                    "3 tall : 1 short",
                    ("1 tall : 1 short", "All tall", "1 tall : 3 short"),
                    1,
                ),
                Item(
                    "In a Tt × tt cross, what fraction of offspring is expected to be short?",
                    "1/2",
                    ("1/4", "3/4", "0"),
                    1,
                ),
                Item(
                    "The observable characteristic of an organism is its:",
                    "Phenotype",
                    ("Genotype", "Allele", "Codon"),
                    0,
                ),
            ),
        ),
    ),
)

PHYSICS = ClassSpec(
    key="phys1",
    title="Physics",
    course_code="SCI-PHYS1",
    subject="Life and Physical Sciences",
    subject_code="03151",
    grades=("10", "11"),
    school="sch-river",
    location="Lab 5",
    period="4",
    modules=(
        Module(
            title="Describing motion",
            skills=(
                Skill(
                    "phys.motion.speed",
                    "Speed and velocity",
                    "Compute speed and distinguish speed from velocity.",
                ),
                Skill(
                    "phys.motion.accel",
                    "Acceleration",
                    "Compute acceleration from a change in velocity.",
                ),
            ),
            pages=(
                Page(
                    "Speed and velocity",
                    """**Speed** is the distance travelled per unit of time:

`average speed = distance / time`.

A cyclist who rides 30 km in 2 hours has an average speed of 15 km/h. In physics we usually use
SI units: metres per second (m/s). To convert km/h to m/s, divide by 3.6; 36 km/h is 10 m/s.

**Velocity** is speed in a given direction. Speed is a **scalar** (it has only a size), while
velocity is a **vector** (it has a size and a direction). A car driving round a roundabout at a
steady 20 km/h has a constant speed, but its velocity keeps changing because its direction
changes.

Similarly, **distance** is the total length of the path travelled, while **displacement** is the
straight-line change in position, with a direction. If you walk 3 m east and then 3 m back
west, you have walked a distance of 6 m but your displacement is zero.

On a **distance-time graph**, a straight sloping line means constant speed, and its gradient
(slope) is the speed. A horizontal line means the object is stationary. A steeper line means a
greater speed.""",
                ),
                Page(
                    "Acceleration",
                    """**Acceleration** is the rate at which velocity changes:

`acceleration = change in velocity / time taken`, or `a = (v - u) / t`,

where `u` is the initial velocity and `v` the final velocity. Its SI unit is metres per second
squared (m/s²): the number of metres per second gained each second.

Example: a car goes from rest to 20 m/s in 5 s. Its acceleration is `(20 - 0) / 5 = 4 m/s²`.
Each second it gains 4 m/s of speed.

A negative acceleration, or **deceleration**, means the object is slowing down: a bus that
brakes from 15 m/s to 5 m/s in 4 s has an acceleration of `(5 - 15) / 4 = -2.5 m/s²`. Because
velocity has a direction, changing direction at a constant speed is also acceleration.

On a **velocity-time graph**, the gradient is the acceleration and the **area under the line** is
the distance travelled. A horizontal line means constant velocity (zero acceleration).

Near the Earth's surface, an object falling freely (ignoring air resistance) accelerates
at about **9.8 m/s²**, whatever its mass.""",
                ),
            ),
            video=Media(
                "Motion graphs",
                "Reading distance-time and velocity-time graphs from a trolley on a ramp.",
                433,
            ),
            resource=Media(
                "Motion graph worksheet",
                "Sketch and interpret graphs for six journeys.",
            ),
            items=(
                Item(
                    "A cyclist rides 30 km in 2 hours. What is the average speed?",
                    "15 km/h",
                    ("60 km/h", "32 km/h", "28 km/h"),
                    0,
                ),
                Item(
                    "How does velocity differ from speed?",
                    "Velocity includes a direction",
                    (
                        "Velocity is always larger",
                        "Velocity is measured in m/s²",
                        "Velocity ignores direction",
                    ),
                    0,
                ),
                Item(
                    "A car goes from rest to 20 m/s in 5 s. What is its acceleration?",
                    "4 m/s²",
                    ("100 m/s²", "25 m/s²", "0.25 m/s²"),
                    1,
                ),
                Item(
                    "On a velocity-time graph, the area under the line gives:",
                    "The distance travelled",
                    ("The acceleration", "The mass", "The force"),
                    1,
                ),
                Item(
                    "What does a horizontal line on a distance-time graph mean?",
                    "The object is stationary",
                    (
                        "The object moves at constant speed",
                        "The object is accelerating",
                        "The object is falling freely",
                    ),
                    0,
                ),
            ),
        ),
        Module(
            title="Newton's laws of motion",
            skills=(
                Skill(
                    "phys.newton.first",
                    "Newton's first law",
                    "Explain inertia and balanced forces.",
                ),
                Skill(
                    "phys.newton.second",
                    "Newton's second and third laws",
                    "Use F = ma and identify action-reaction pairs.",
                ),
            ),
            pages=(
                Page(
                    "Newton's first law: inertia",
                    """In 1687 Isaac Newton published three laws that describe how forces affect
motion. A **force** is a push or a pull, measured in newtons (N).

**Newton's first law** states that an object stays at rest, or keeps moving in a straight line at
constant speed, unless a **resultant (unbalanced) force** acts on it. This tendency to keep doing
what it is already doing is called **inertia**, and the more mass an object has, the more inertia
it has.

The first law surprised people, because everyday experience suggests that moving things
naturally slow down. They do, but only because forces such as friction and air resistance act on
them. A hockey puck on smooth ice slides a long way because the friction is very small; in space,
a probe keeps moving for decades without its engines running.

When the forces on an object are **balanced** (the resultant force is zero), its velocity does
not change. A book resting on a table is pushed down by its weight and up by the table with an
equal force. A car cruising at a steady 100 km/h also has balanced forces: the driving force
exactly matches friction and air resistance. Seat belts exist because of inertia: in a crash
the car stops, but your body keeps moving forward.""",
                ),
                Page(
                    "Newton's second and third laws",
                    """**Newton's second law** says how much an object accelerates when a
resultant force acts:

`F = m × a` (force in newtons = mass in kilograms × acceleration in m/s²).

A resultant force of 10 N on a 2 kg trolley gives an acceleration of `10 / 2 = 5 m/s²`. Double
the force and the acceleration doubles; double the mass and it halves. One newton is the force
that gives a 1 kg mass an acceleration of 1 m/s².

**Newton's third law** states that when object A exerts a force on object B, object B exerts an
**equal and opposite** force on object A. These two forces act on **different objects**, so they
never cancel each other out.

When you swim, you push water backward and the water pushes you forward. A rocket pushes hot gas
down and out of its nozzle, and the gas pushes the rocket up. When you stand on the floor, your
feet push down on the floor and the floor pushes up on your feet.

Do not confuse a third-law pair with balanced forces: the weight of a book and the table's
support both act on the book, so they are not a third-law pair, even though they are equal.""",
                ),
            ),
            video=Media(
                "Newton's laws on a skateboard",
                "Three demonstrations of inertia, F = ma and action-reaction.",
                417,
            ),
            resource=Media(
                "Force diagrams practice",
                "Draw free-body diagrams for eight situations and find the resultant force.",
            ),
            items=(
                Item(
                    "A 2 kg trolley has a resultant force of 10 N. What is its acceleration?",
                    "5 m/s²",
                    ("20 m/s²", "12 m/s²", "0.2 m/s²"),
                    1,
                ),
                Item(
                    "A car moves at constant velocity. The resultant force on it is:",
                    "Zero",
                    (
                        "In the direction of motion",
                        "Opposite to the motion",
                        "Equal to its weight",
                    ),
                    0,
                ),
                Item(
                    "The tendency of an object to resist changes in its motion is called:",
                    "Inertia",
                    ("Momentum", "Friction", "Weight"),
                    0,
                ),
                Item(
                    "Why do action-reaction forces not cancel out?",
                    "They act on different objects",
                    (
                        "They are not equal in size",
                        "They act in the same direction",
                        "One of them is always friction",
                    ),
                    1,
                ),
                Item(
                    "What pushes a swimmer forward?",
                    "The water, pushing back on the swimmer",
                    (
                        "The swimmer's weight",
                        "Air resistance",
                        "The swimmer's inertia",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="Forces: friction, weight and gravity",
            skills=(
                Skill(
                    "phys.forces.weight",
                    "Mass and weight",
                    "Distinguish mass from weight and compute W = mg.",
                ),
                Skill(
                    "phys.forces.friction",
                    "Friction and drag",
                    "Explain friction, air resistance and terminal velocity.",
                ),
            ),
            pages=(
                Page(
                    "Mass and weight",
                    """**Mass** is the amount of matter in an object, measured in kilograms (kg).
It is the same everywhere in the universe. **Weight** is the force of gravity acting on that
mass, measured in newtons (N), and it depends on where you are.

`weight = mass × gravitational field strength`, or `W = m × g`.

On Earth, `g` is about **9.8 N/kg** (often rounded to 10 N/kg). A 50 kg student therefore weighs
about `50 × 9.8 = 490 N`. On the Moon, where `g` is about 1.6 N/kg, the same student still has a
mass of 50 kg but weighs only about 80 N, which is why astronauts can bound across the lunar
surface.

Gravity is an attractive force between any two masses. It is very weak between everyday objects
but large when one of the masses is a planet. The force gets weaker with distance, which is why
`g` is slightly smaller at the top of a mountain.

Bathroom scales measure the force you exert on them and then display a mass by dividing by `g`;
a spring balance measures weight directly, in newtons.""",
                ),
                Page(
                    "Friction, drag and terminal velocity",
                    """**Friction** is a force that opposes motion between two surfaces in
contact. It arises because surfaces are never perfectly smooth. Friction wastes energy as heat,
as you feel when you rub your hands together, but we also depend on it: without friction
between tyres and road, cars could not grip, steer or brake.

When an object moves through air or water it experiences **drag** (air resistance in air). Drag
increases with speed and with the area facing the flow, which is why cyclists crouch and why
streamlined shapes go faster.

Drag explains **terminal velocity**. When a skydiver jumps, weight is the only significant force
at first, so she accelerates downward. As her speed rises, air resistance grows. Eventually air
resistance equals her weight; the forces are balanced, the resultant force is zero and she falls
at a constant speed, her terminal velocity (about 55 m/s spread out). Opening the parachute
suddenly increases drag, so she slows down until a new, much lower terminal velocity is reached
and she can land safely.""",
                ),
            ),
            video=Media(
                "Falling with a parachute",
                "Force diagrams at each stage of a skydive, with a speed-time graph.",
                362,
            ),
            resource=Media(
                "Friction investigation",
                "Measuring the force needed to drag a block over different surfaces.",
            ),
            items=(
                Item(
                    "What is the weight of a 50 kg student on Earth (g = 9.8 N/kg)?",
                    "490 N",
                    ("50 N", "59.8 N", "5.1 N"),
                    0,
                ),
                Item(
                    "Which quantity stays the same on the Moon?",
                    "Mass",
                    ("Weight", "Gravitational field strength", "Terminal velocity"),
                    0,
                ),
                Item(
                    "A skydiver falls at terminal velocity. Which is true?",
                    "Air resistance equals her weight",
                    (
                        "Her weight is zero",
                        "She is still accelerating",
                        "Air resistance is greater than her weight",
                    ),
                    1,
                ),
                Item(
                    "Drag on a moving object increases when:",
                    "Its speed increases",
                    ("Its mass decreases", "It slows down", "Its surface gets hotter"),
                    1,
                ),
                Item(
                    "Weight is measured in:",
                    "Newtons",
                    ("Kilograms", "Metres per second", "Joules"),
                    0,
                ),
            ),
        ),
        Module(
            title="Work, energy and power",
            skills=(
                Skill(
                    "phys.energy.stores",
                    "Energy stores",
                    "Compute kinetic and gravitational potential energy.",
                ),
                Skill(
                    "phys.energy.work",
                    "Work and power",
                    "Compute work done and power; apply conservation of energy.",
                ),
            ),
            pages=(
                Page(
                    "Kinetic and potential energy",
                    """**Energy** is measured in joules (J). It is never created or destroyed,
only transferred from one store to another: this is the **law of conservation of energy**.

A moving object has **kinetic energy**:

`Eₖ = ½ × m × v²`.

Because speed is squared, doubling the speed makes the kinetic energy four times as large. A
1000 kg car at 20 m/s has `0.5 × 1000 × 20² = 200 000 J` of kinetic energy.

An object raised above the ground has **gravitational potential energy**:

`Eₚ = m × g × h`.

Lifting a 2 kg bag onto a shelf 1.5 m high gives it `2 × 9.8 × 1.5 ≈ 29 J` of potential energy.

When an object falls, potential energy is transferred to kinetic energy. Ignoring air
resistance, a ball dropped from a height loses exactly as much potential energy as it gains in
kinetic energy. On a roller coaster the car is highest and slowest at the top of the first hill,
and lowest and fastest at the bottom. In reality some energy is always transferred to thermal
energy by friction and air resistance, so the car can never climb back to its starting height.""",
                ),
                Page(
                    "Work and power",
                    """In physics, **work** is done when a force moves an object through a
distance in the direction of the force:

`work done = force × distance`, or `W = F × d`.

Work is measured in joules, because doing work transfers energy. Pushing a box with a force of
50 N across 4 m of floor does `50 × 4 = 200 J` of work. Holding a heavy bag still does no work on
it in this sense, however tiring it feels, because the bag does not move.

**Power** is the rate of doing work or transferring energy:

`power = work done / time`, or `P = W / t`,

measured in **watts** (W), where 1 W is 1 J per second. If you do 200 J of work in 4 s, your
power is 50 W. Two students climbing the same stairs do the same work if they have the same
weight, but the one who runs up develops more power.

**Efficiency** compares useful output to total input:
`efficiency = useful energy out / total energy in`. No real machine is 100% efficient; the
rest of the energy is usually wasted as heat and sound.""",
                ),
            ),
            video=Media(
                "Energy on a roller coaster",
                "Tracking kinetic and potential energy over a full ride.",
                401,
            ),
            resource=Media(
                "Energy calculations sheet",
                "Practice questions on kinetic energy, potential energy, work and power.",
            ),
            items=(
                Item(
                    "What is the kinetic energy of a 1000 kg car at 20 m/s?",
                    "200 000 J",
                    ("20 000 J", "10 000 J", "400 000 J"),
                    0,
                ),
                Item(
                    "If an object's speed doubles, its kinetic energy:",
                    "Quadruples",
                    ("Doubles", "Halves", "Stays the same"),
                    0,
                ),
                Item(
                    "How much work is done pushing a box with 50 N across 4 m?",
                    "200 J",
                    ("12.5 J", "54 J", "46 J"),
                    1,
                ),
                Item(
                    "200 J of work is done in 4 s. What is the power?",
                    "50 W",
                    ("800 W", "204 W", "0.02 W"),
                    1,
                ),
                Item(
                    "The law of conservation of energy says energy:",
                    "Is transferred but never created or destroyed",
                    (
                        "Is always lost when objects move",
                        "Can be created by machines",
                        "Only exists as kinetic energy",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="Momentum and collisions",
            skills=(
                Skill(
                    "phys.momentum.calc",
                    "Momentum",
                    "Compute momentum and apply conservation of momentum.",
                ),
                Skill(
                    "phys.momentum.safety",
                    "Impulse and safety",
                    "Explain how increasing collision time reduces force.",
                ),
            ),
            pages=(
                Page(
                    "Momentum and its conservation",
                    """**Momentum** is mass in motion:

`momentum = mass × velocity`, or `p = m × v`,

measured in kilogram metres per second (kg m/s). Like velocity, momentum is a vector, so
direction matters: momentum to the right may be counted positive and to the left negative.

A 60 kg runner at 5 m/s has a momentum of 300 kg m/s. A 0.06 kg tennis ball at 50 m/s has only
3 kg m/s, even though it moves ten times as fast.

In a closed system, with no external forces, the **total momentum before a collision equals the
total momentum after it**. This is the **conservation of momentum**.

Example: a 2 kg trolley moving at 3 m/s hits a stationary 1 kg trolley and they stick together.
Momentum before: `2 × 3 + 1 × 0 = 6 kg m/s`. After, the combined 3 kg moves with velocity `v`, so
`3v = 6` and `v = 2 m/s`.

Conservation of momentum also explains recoil: when a cannon fires a ball forward, the cannon
moves backward so that the total momentum stays zero.""",
                ),
                Page(
                    "Collisions and safety",
                    """Newton's second law can be written in terms of momentum: the force on an
object equals its **rate of change of momentum**,

`F = (change in momentum) / time`.

So for a given change in momentum, such as a car stopping from a certain speed, **the longer the
collision lasts, the smaller the force**. This idea is the basis of many safety features.

- **Crumple zones** at the front and back of cars crush in a controlled way, lengthening the time
  the car takes to stop.
- **Airbags** and **seat belts** (which stretch slightly) increase the time over which a
  passenger's momentum changes, reducing the force on the body.
- **Cycle helmets** contain crushable foam, and **gym mats** and playground surfaces are soft, for
  the same reason.

You do the same thing instinctively when you bend your knees on landing after a jump, or pull
your hands back as you catch a fast ball: the change in momentum is the same, but spreading it
over more time lowers the force on you.

The product of force and time, `F × t`, is called the **impulse**, and it equals the change in
momentum.""",
                ),
            ),
            video=Media(
                "Crash test physics",
                "Slow-motion crash tests explained with momentum and impulse.",
                389,
            ),
            resource=Media(
                "Egg drop challenge",
                "Design brief for protecting an egg dropped from 3 m.",
            ),
            items=(
                Item(
                    "What is the momentum of a 60 kg runner at 5 m/s?",
                    "300 kg m/s",
                    ("12 kg m/s", "65 kg m/s", "750 kg m/s"),
                    0,
                ),
                Item(
                    "A 2 kg trolley at 3 m/s sticks to a stationary 1 kg trolley. Their speed?",
                    "2 m/s",
                    ("3 m/s", "1.5 m/s", "6 m/s"),
                    0,
                ),
                Item(
                    "How does an airbag reduce the force on a passenger?",
                    "It increases the time taken to stop",
                    (
                        "It reduces the passenger's mass",
                        "It increases the change in momentum",
                        "It removes the passenger's momentum instantly",
                    ),
                    1,
                ),
                Item(
                    "Impulse is equal to:",
                    "The change in momentum",
                    ("Mass times acceleration", "Work divided by time", "Weight times height"),
                    1,
                ),
                Item(
                    "In a closed system, total momentum before a collision is:",
                    "Equal to the total momentum after",
                    (
                        "Always greater than after",
                        "Always zero",
                        "Converted into heat",
                    ),
                    0,
                ),
            ),
        ),
        Module(
            title="Waves and sound",
            skills=(
                Skill(
                    "phys.waves.properties",
                    "Wave properties",
                    "Use amplitude, wavelength, frequency and the wave equation.",
                ),
                Skill(
                    "phys.waves.sound",
                    "Sound",
                    "Describe sound as a longitudinal wave and relate pitch and loudness.",
                ),
            ),
            pages=(
                Page(
                    "Describing waves",
                    """A **wave** transfers energy from one place to another without transferring
matter. When a wave passes through water, a floating cork bobs up and down but does not travel
with the wave.

Waves are described by a few quantities:

- **Amplitude**: the maximum displacement from the rest position. A larger amplitude carries more
  energy.
- **Wavelength** (λ): the distance from one point on a wave to the same point on the next, such
  as crest to crest, in metres.
- **Frequency** (f): the number of waves passing a point each second, in hertz (Hz).
- **Period** (T): the time for one complete wave; `T = 1 / f`.

They are linked by the **wave equation**:

`wave speed = frequency × wavelength`, or `v = f × λ`.

A wave with a frequency of 5 Hz and a wavelength of 2 m travels at 10 m/s.

In a **transverse** wave the vibrations are at right angles to the direction of travel; light and
water ripples are transverse. In a **longitudinal** wave the vibrations are parallel to the
direction of travel, producing compressions and rarefactions; sound is longitudinal.""",
                ),
                Page(
                    "Sound",
                    """**Sound** is a longitudinal wave produced by vibrating objects. A
vibrating guitar string or loudspeaker cone pushes on nearby air particles, creating regions
where they are squeezed together (**compressions**) and spread apart (**rarefactions**).

Because sound needs particles to travel through, it **cannot travel through a vacuum**: in space,
no one can hear an explosion. Sound travels at about **340 m/s in air**, faster in water (about
1500 m/s) and faster still in solids such as steel, because the particles are closer together.

The **pitch** of a sound depends on its frequency: a higher frequency gives a higher note. Humans
can hear from about **20 Hz to 20 000 Hz**; sound above this range is **ultrasound**, used in
medical scans and by bats to navigate. The **loudness** of a sound depends on its amplitude:
bigger vibrations give louder sounds.

Sound reflects from hard surfaces, producing **echoes**. If you clap 170 m from a cliff and hear
the echo 1 s later, the sound has travelled 340 m there and back, giving its speed. Ships use the
same principle with sonar to measure the depth of the sea.""",
                ),
            ),
            video=Media(
                "Seeing sound",
                "An oscilloscope shows how pitch and loudness change a sound wave.",
                347,
            ),
            resource=Media(
                "Wave equation practice",
                "Twelve calculations using v = f λ with worked solutions.",
            ),
            items=(
                Item(
                    "A wave has frequency 5 Hz and wavelength 2 m. What is its speed?",
                    "10 m/s",
                    ("2.5 m/s", "7 m/s", "0.4 m/s"),
                    0,
                ),
                Item(
                    "Which quantity determines how much energy a wave carries?",
                    "Amplitude",
                    ("Period", "Wave speed", "Direction of travel"),
                    0,
                ),
                Item(
                    "Why can sound not travel through space?",
                    "There are no particles to vibrate",
                    (
                        "Space is too cold",
                        "Sound travels too slowly",
                        "Sound is a transverse wave",
                    ),
                    1,
                ),
                Item(
                    "A higher pitch means a sound wave has a higher:",
                    "Frequency",
                    ("Amplitude", "Wavelength", "Speed"),
                    1,
                ),
                Item(
                    "Sound is a longitudinal wave because its vibrations are:",
                    "Parallel to the direction of travel",
                    (
                        "At right angles to the direction of travel",
                        "Only in solids",
                        "Electromagnetic",
                    ),
                    1,
                ),
            ),
        ),
    ),
)
