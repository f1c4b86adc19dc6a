"""Sample files in each foreign format, written for these tests (not taken from any real deck)."""

FOOTER = "How well did you know this?\n1\nNot at all\n2\n3\n4\n5\nPerfectly\n"

BRAINSCAPE = (
    "Rivers and Lakes Flashcards\n\n(5 cards)\n\n"
    "1\nQ\n\nwhich river flows through Cairo\n\nA\n\nthe Nile\nit ends in a delta on the Mediterranean\n\n" + FOOTER +
    "2\nQ\n\nname three of the Great Lakes\n\nA\n\nSuperior\n\nHuron and Erie\n\n" + FOOTER +
    "3\nQ\n\nwhat feeds a glacial lake\n\nA\n\nmeltwater from ice upstream\n"
    "3\nQ\n\nhow deep is Lake Baikal roughly\n\nA\n\nabout 1.6 km at the deepest point\n\n"
    "4\nwhich sea is the saltiest large body of water on land?\nthe Dead Sea\nits shore is far below sea level\n"
)

ALTERNATING = (
    "Kitchen Chemistry Flashcards\n"
    "Why does bread dough rise?\n"
    "Yeast ferments sugar and releases carbon dioxide\n"
    "The gas is trapped by gluten strands\n"
    "What makes caramel brown\n"
    "Sugars break down under heat into many coloured compounds\n"
    "Explain the Maillard reaction\n"
    "Amino acids and reducing sugars react at high heat\n"
    "- it creates roasted flavours\n"
    "- it needs dry surfaces\n"
    "Emulsions\n"
    "Oil droplets held in water by an emulsifier such as lecithin\n"
    "How is baking soda different from baking powder?\n"
    "Soda needs an acid in the recipe; powder already contains one\n"
)

NOTES_MARKDOWN = (
    "# Weather basics\n\n"
    "## Fronts\n\n"
    "A front is the border between two air masses.\n\n"
    "- cold fronts move fast\n- warm fronts bring long drizzle\n\n"
    "### Occluded fronts\n\n"
    "A cold front overtakes a warm one; the pressure gradient $\\nabla p$ stays steep.\n\n"
    "$$\n"
    "# not a heading, this is inside math\n"
    "p = \\rho R T\n"
    "$$\n\n"
    "## Empty section\n\n"
    "## Humidity\n\n"
    "```text\n# a comment inside code, not a heading\n```\n"
    "Relative humidity compares vapour pressure with its saturation value $e/e_s$.\n"
)

NOTES_PLAIN = (
    "Soil science notes\n\n"
    "2.1 Soil horizons\n\n"
    "Layers form as water carries minerals downwards\n"
    "  • topsoil is rich in humus\n"
    "  • subsoil collects clay\n"
    "Horizon Colour\n"
    "Topsoil Dark\n"
    "Subsoil Lighter\n"
    "Summary\n\n"
    "Each layer tells a story about climate and time.\n\n"
    "2.2 Soil acidity\n\n"
    "The pH of soil controls which nutrients plants can take up, $pH = -\\log_{10}[H^+]$.\n"
)

ANKI = (
    "#separator:tab\n#html:true\n#notetype column:1\n#deck column:2\n#tags column:5\n"
    "Basic\tPlanets\tWhich planet has the <b>largest</b> moon?\tJupiter<br>(Ganymede &amp; friends)\tastro moons\n"
    "Basic\tPlanets\t\"Line one\nline two\"\t\"A \"\"quoted\"\" answer\"\tastro\n"
)

CSV_TEXT = (
    "capital of Peru,Lima\r\n"
    '"largest desert, by area","Antarctica\nif cold deserts count"\r\n'
    '"a ""quoted"" word",yes\r\n'
)
