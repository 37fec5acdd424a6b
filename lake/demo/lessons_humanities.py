"""Lesson texts for the demo school's humanities classes: World History and English.

Written for this project as short, correct introductory lessons; each quiz item can be answered
from the pages of its module.
"""

from __future__ import annotations

from lake.demo.curriculum import ClassSpec, Item, Media, Module, Page, Skill

HISTORY = ClassSpec(
    key="hist1",
    title="World History: Revolutions and Nations",
    course_code="SOC-WHIST",
    subject="Social Sciences and History",
    subject_code="04051",
    grades=("10",),
    school="sch-north",
    location="Room 211",
    period="5",
    modules=(
        Module(
            title="The Enlightenment",
            skills=(
                Skill(
                    "hist.enl.thinkers",
                    "Enlightenment thinkers",
                    "Match Enlightenment thinkers to their ideas.",
                ),
                Skill(
                    "hist.enl.impact",
                    "Impact of the Enlightenment",
                    "Explain how Enlightenment ideas challenged absolute monarchy.",
                ),
            ),
            pages=(
                Page(
                    "The Age of Reason",
                    """The **Enlightenment** was an intellectual movement of the late seventeenth
and eighteenth centuries, centred in Europe, that argued that human **reason** could be used to
understand the world and to improve society. Inspired by the Scientific Revolution, in which
thinkers such as Isaac Newton explained nature through laws, Enlightenment writers asked whether
government, religion and society could also be examined rationally.

Key thinkers included:

- **John Locke** (England), who argued that people have **natural rights** to life, liberty and
  property, and that governments exist to protect those rights. A government that violates them
  can rightfully be replaced.
- **Montesquieu** (France), who in *The Spirit of the Laws* (1748) proposed the **separation of
  powers** into legislative, executive and judicial branches, so that no single person or body
  could become tyrannical.
- **Voltaire** (France), who attacked religious intolerance and censorship and defended freedom of
  speech and belief.
- **Jean-Jacques Rousseau** (Geneva), who wrote in *The Social Contract* (1762) that legitimate
  government rests on the **general will** of the people.

These ideas spread through books, newspapers, the great *Encyclopédie* edited by Diderot, and
discussions in Parisian salons and coffee houses.""",
                ),
                Page(
                    "Ideas that shook thrones",
                    """Enlightenment ideas were dangerous to the **absolute monarchies** of the
time. Kings such as Louis XIV of France had claimed to rule by **divine right**: their authority
came from God, and subjects owed them obedience. Locke's theory of natural rights and Rousseau's
general will put the source of authority in the people instead.

Some rulers, called **enlightened despots**, borrowed Enlightenment ideas while keeping their
power. Frederick the Great of Prussia promoted religious tolerance and reformed the law, and
Catherine the Great of Russia corresponded with Voltaire, though neither gave up absolute rule.

The greatest impact came through revolutions. The American **Declaration of Independence** (1776)
echoed Locke when it spoke of "unalienable rights" to "life, liberty and the pursuit of
happiness", and the US Constitution (1787) put Montesquieu's separation of powers into practice.
In France, the **Declaration of the Rights of Man and of the Citizen** (1789) proclaimed that
"men are born and remain free and equal in rights" and that sovereignty resides in the nation.
The Enlightenment thus supplied the vocabulary of rights, consent and limited government that
modern democracies still use.""",
                ),
            ),
            video=Media(
                "Salons, coffee houses and the Encyclopédie",
                "How Enlightenment ideas travelled across eighteenth-century Europe.",
                455,
            ),
            resource=Media(
                "Primary sources: Locke, Montesquieu, Rousseau",
                "Short extracts with guiding questions.",
            ),
            items=(
                Item(
                    "Which thinker proposed the separation of powers?",
                    "Montesquieu",
                    ("John Locke", "Voltaire", "Rousseau"),
                    0,
                ),
                Item(
                    "John Locke argued that people have natural rights to:",
                    "Life, liberty and property",
                    (
                        "Land, titles and privileges",
                        "Obedience to the king",
                        "Free education and health care",
                    ),
                    0,
                ),
                Item(
                    "Which work by Rousseau describes government based on the general will?",
                    "The Social Contract",
                    ("The Spirit of the Laws", "Candide", "The Encyclopédie"),
                    0,
                ),
                Item(
                    "The theory that kings receive their authority from God is called:",
                    "Divine right",
                    ("Natural rights", "The general will", "Enlightened despotism"),
                    1,
                ),
                Item(
                    "Which document echoed Locke with 'unalienable rights'?",
                    "The American Declaration of Independence",
                    ("The Magna Carta", "The Napoleonic Code", "The Treaty of Versailles"),
                    1,
                ),
            ),
        ),
        Module(
            title="Causes of the French Revolution",
            skills=(
                Skill(
                    "hist.frrev.estates",
                    "The three estates",
                    "Describe the social structure of the Old Regime.",
                ),
                Skill(
                    "hist.frrev.crisis",
                    "The crisis of 1789",
                    "Explain the financial and political crisis that began the revolution.",
                ),
            ),
            pages=(
                Page(
                    "The Old Regime and the three estates",
                    """Before 1789, French society, later called the **Old Regime** (*Ancien
Régime*), was divided into three legal orders called **estates**.

- The **First Estate** was the clergy, about 130,000 people. The Church owned perhaps a tenth of
  the land, collected the tithe and paid almost no taxes.
- The **Second Estate** was the nobility, a few hundred thousand people, who held the top posts
  in the army, the Church and the government and were exempt from most direct taxes.
- The **Third Estate** was everyone else, around 97% of a population of about 27 million: peasants,
  urban workers, artisans and the **bourgeoisie** (merchants, lawyers, doctors). They carried
  almost the whole tax burden.

The bourgeoisie was growing richer and better educated, and many had read Enlightenment writers.
They resented a system in which birth, not merit, decided status. Peasants paid taxes to the
king, the tithe to the Church and dues to their lords, and in bad years they went hungry.

At the top sat **King Louis XVI**, an absolute monarch who ruled from the palace of Versailles
with his wife **Marie Antoinette**. The system's inequalities were old; what made them explosive
in the 1780s was a state in financial crisis.""",
                ),
                Page(
                    "The crisis of 1789",
                    """By the late 1780s the French monarchy was close to **bankruptcy**. Costly
wars, including French support for the American Revolution, had left enormous debts, and paying
the interest consumed about half of the royal budget. The privileged estates blocked every
attempt to tax them. At the same time a poor harvest in 1788 doubled the price of bread, the
main food of ordinary people.

Out of options, Louis XVI summoned the **Estates-General**, an assembly of representatives of the
three estates that had not met since 1614. It opened at Versailles in **May 1789**. Voting was
to be by estate, one vote each, so the clergy and nobility could always outvote the Third Estate
two to one.

The Third Estate's deputies demanded voting by head instead. When they were refused, they
declared themselves the **National Assembly** on 17 June 1789. Locked out of their hall three
days later, they met in an indoor tennis court and swore the **Tennis Court Oath**: not to
separate until they had given France a constitution. This was the revolution's first act: a
claim that sovereignty belonged to the nation, not the king.""",
                ),
            ),
            video=Media(
                "France on the eve of revolution",
                "Maps and cartoons of the three estates and the royal debt.",
                478,
            ),
            resource=Media(
                "Cahiers de doléances (extracts)",
                "Grievance lists sent to the Estates-General by villages and towns.",
            ),
            items=(
                Item(
                    "Which estate made up most of the French population before 1789?",
                    "The Third Estate",
                    ("The First Estate", "The Second Estate", "The clergy"),
                    0,
                ),
                Item(
                    "Which group belonged to the First Estate?",
                    "The clergy",
                    ("The nobility", "The bourgeoisie", "The peasants"),
                    0,
                ),
                Item(
                    "Why did Louis XVI call the Estates-General in 1789?",
                    "The monarchy was nearly bankrupt",
                    (
                        "To declare war on Britain",
                        "To abolish the nobility",
                        "To crown Napoleon",
                    ),
                    1,
                ),
                Item(
                    "In the Tennis Court Oath, deputies swore not to separate until they had:",
                    "Given France a constitution",
                    (
                        "Executed the king",
                        "Stormed the Bastille",
                        "Raised new taxes for the king",
                    ),
                    1,
                ),
                Item(
                    "What did the Third Estate demand about voting in the Estates-General?",
                    "Voting by head instead of by estate",
                    (
                        "Voting by estate, one vote each",
                        "No voting at all",
                        "That only the king could vote",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="The French Revolution, 1789-1799",
            skills=(
                Skill(
                    "hist.frrev.events",
                    "Revolutionary events",
                    "Order and explain the main events from 1789 to 1799.",
                ),
                Skill(
                    "hist.frrev.terror",
                    "The Terror",
                    "Explain the causes and course of the Reign of Terror.",
                ),
            ),
            pages=(
                Page(
                    "From the Bastille to the Republic",
                    """On **14 July 1789** crowds in Paris, fearing that the king's troops would
crush the National Assembly, stormed the **Bastille**, a royal fortress and prison, in search of
gunpowder. Its fall became the symbol of the revolution, and 14 July is still France's national
holiday.

Revolution spread to the countryside, where peasants attacked manor houses in the "Great Fear".
On **4 August** the Assembly abolished feudal privileges, and on **26 August** it adopted the
**Declaration of the Rights of Man and of the Citizen**, which proclaimed liberty, equality
before the law and the sovereignty of the nation.

The Assembly then made France a **constitutional monarchy** (constitution of 1791), took over
Church lands and reorganised the clergy. Louis XVI accepted these changes reluctantly; in June
1791 he tried to flee in disguise but was caught at **Varennes**, and trust in him collapsed.

In 1792 France went to war with Austria and Prussia. Fearing betrayal, Parisian crowds attacked
the Tuileries palace in August, and a newly elected assembly, the **National Convention**,
abolished the monarchy and declared France a **republic** in September 1792. Louis XVI was tried
for treason and executed by guillotine in **January 1793**.""",
                ),
                Page(
                    "The Terror and its end",
                    """In 1793 the young republic faced foreign armies on its borders, a
royalist rebellion in the Vendée and food shortages in the cities. The Convention gave
emergency powers to the **Committee of Public Safety**, dominated by the radical **Jacobins**
and their leader **Maximilien Robespierre**.

The period from September 1793 to July 1794 is called the **Reign of Terror**. The Law of
Suspects allowed the arrest of anyone thought to be an enemy of the revolution. Revolutionary
tribunals sent around 17,000 people to execution after trial, including Marie Antoinette, and
many more died in prison or without trial. Robespierre argued that terror was necessary to
defend the republic's virtue.

The Terror devoured its own leaders. Fearing they would be next, members of the Convention
turned on Robespierre, and he was arrested and guillotined on 28 July 1794 (**9 Thermidor** in
the revolutionary calendar). The "Thermidorian reaction" ended the Terror.

A new constitution in 1795 created the **Directory**, a government of five directors. It was
weak and corrupt, and depended on the army. In November 1799 (the coup of **18 Brumaire**) the
general **Napoleon Bonaparte** overthrew it, bringing the revolutionary decade to an end.""",
                ),
            ),
            video=Media(
                "Ten years that changed France",
                "A timeline of the revolution from the Bastille to Brumaire.",
                612,
            ),
            resource=Media(
                "Revolution timeline cards",
                "Twenty event cards to put in order, with dates on the back.",
            ),
            items=(
                Item(
                    "On what date was the Bastille stormed?",
                    "14 July 1789",
                    ("4 August 1789", "21 January 1793", "9 November 1799"),
                    0,
                ),
                Item(
                    "What happened at Varennes in 1791?",
                    "The royal family was caught trying to flee",
                    (
                        "The Declaration of the Rights of Man was signed",
                        "Robespierre was arrested",
                        "Napoleon seized power",
                    ),
                    0,
                ),
                Item(
                    "Who led the Committee of Public Safety during the Terror?",
                    "Maximilien Robespierre",
                    ("Louis XVI", "Napoleon Bonaparte", "Voltaire"),
                    1,
                ),
                Item(
                    "What government replaced the Convention in 1795?",
                    "The Directory",
                    ("The Consulate", "The Estates-General", "The Empire"),
                    0,
                ),
                Item(
                    "The Reign of Terror ended when:",
                    "Robespierre was overthrown and executed in July 1794",
                    (
                        "Louis XVI was executed in January 1793",
                        "The Bastille was stormed",
                        "France made peace with Austria in 1792",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="The Age of Napoleon",
            skills=(
                Skill(
                    "hist.napoleon.rule",
                    "Napoleon's rule",
                    "Describe Napoleon's rise and domestic reforms.",
                ),
                Skill(
                    "hist.napoleon.fall",
                    "Napoleon's empire and fall",
                    "Explain the expansion and collapse of the Napoleonic empire.",
                ),
            ),
            pages=(
                Page(
                    "Napoleon's rise and reforms",
                    """**Napoleon Bonaparte** (1769-1821) was born in Corsica and rose quickly in
the revolutionary army thanks to his talent as an artillery officer and general. Victories in
Italy in 1796-97 made him famous. In 1799 he seized power in the coup of 18 Brumaire and became
**First Consul**, and in **1804** he crowned himself **Emperor of the French** in Notre-Dame.

Napoleon kept some revolutionary gains and abandoned others. His most lasting achievement was
the **Civil Code** (1804), known as the **Napoleonic Code**: a single body of law for all of
France, which guaranteed equality before the law, the right to own property and religious
freedom, and ended feudal privileges for good. It also reduced women's rights, placing wives
under their husbands' authority. The Code influenced legal systems across Europe and Latin
America.

He also created the **Bank of France**, a centralised administration run by prefects, and the
*lycées*, state secondary schools. The **Concordat** of 1801 made peace with the Catholic Church
while keeping Church lands in the hands of their new owners. But Napoleon ruled as a dictator:
he censored the press, used secret police and held plebiscites whose results were never in
doubt.""",
                ),
                Page(
                    "Empire and downfall",
                    """At its height around 1810, Napoleon's empire dominated continental Europe.
He defeated Austria and Russia at **Austerlitz** (1805) and Prussia in 1806, and placed relatives
on the thrones of Spain, Naples, Holland and Westphalia. Britain, protected by its navy after
**Trafalgar** (1805), remained his main enemy. To ruin its trade he imposed the **Continental
System**, forbidding European countries to trade with Britain.

Three mistakes undid him. In **Spain** (from 1808) a long guerrilla war tied down hundreds of
thousands of troops. The Continental System hurt Europe's own economies and was widely evaded.
Above all, when Russia broke the system, Napoleon invaded in **1812** with a Grande Armée of
about 600,000 men. The Russians retreated, burning crops as they went; Napoleon took Moscow but
found it abandoned and burning, and the retreat through winter destroyed his army.

Defeated at **Leipzig** (1813), he abdicated in 1814 and was exiled to the island of Elba. He
escaped in 1815 and ruled again for the "Hundred Days", until his final defeat at **Waterloo** by
British and Prussian forces. He died in exile on **Saint Helena** in 1821. The **Congress of
Vienna** (1814-15) redrew Europe's map to restore monarchies and a balance of power.""",
                ),
            ),
            video=Media(
                "The retreat from Moscow",
                "Minard's famous chart of the 1812 campaign, explained.",
                384,
            ),
            resource=Media(
                "Map of Napoleonic Europe, 1810",
                "A printable map with the empire, dependent states and allies.",
            ),
            items=(
                Item(
                    "In what year did Napoleon crown himself emperor?",
                    "1804",
                    ("1789", "1799", "1815"),
                    0,
                ),
                Item(
                    "What was the Napoleonic Code?",
                    "A single civil law code for France",
                    (
                        "A military strategy",
                        "A treaty with Britain",
                        "A secret police manual",
                    ),
                    0,
                ),
                Item(
                    "What was the purpose of the Continental System?",
                    "To ruin Britain's trade",
                    (
                        "To unite Germany",
                        "To abolish serfdom in Russia",
                        "To build railways across Europe",
                    ),
                    1,
                ),
                Item(
                    "Which campaign destroyed most of the Grande Armée?",
                    "The invasion of Russia in 1812",
                    ("The Italian campaign of 1796", "Austerlitz in 1805", "Egypt in 1798"),
                    1,
                ),
                Item(
                    "Where was Napoleon finally defeated in 1815?",
                    "Waterloo",
                    ("Austerlitz", "Trafalgar", "Leipzig"),
                    1,
                ),
            ),
        ),
        Module(
            title="The Industrial Revolution",
            skills=(
                Skill(
                    "hist.ind.causes",
                    "Causes of industrialisation",
                    "Explain why industrialisation began in Britain.",
                ),
                Skill(
                    "hist.ind.effects",
                    "Effects of industrialisation",
                    "Describe the social effects of the factory system and urbanisation.",
                ),
            ),
            pages=(
                Page(
                    "Why Britain industrialised first",
                    """The **Industrial Revolution** was the shift from hand production to
machine production, powered first by water and then by steam, that began in **Britain** around
1760 and spread to Europe and North America in the nineteenth century.

Several conditions came together in Britain:

- **Coal and iron** were plentiful and often found close together.
- An **agricultural revolution** (crop rotation, enclosure of fields, selective breeding)
  produced more food with fewer workers, feeding a growing population and freeing labour for
  towns.
- **Capital** from trade and empire was available for investment, and banks were well developed.
- Rivers, canals and later railways made **transport** cheaper, and the empire supplied raw
  materials such as cotton and markets for finished goods.
- A stable government protected property and encouraged inventors through patents.

The **textile industry** led the way. Inventions such as the spinning jenny (Hargreaves, 1764)
and the water frame (Arkwright, 1769) multiplied the output of each worker. **James Watt's**
improved **steam engine** (patented 1769) made power available anywhere, not just beside fast
rivers. In 1830 the Liverpool and Manchester Railway opened, the first inter-city railway
powered by steam locomotives.""",
                ),
                Page(
                    "Factories, cities and workers",
                    """Industrialisation changed how and where people lived. Work moved from
homes and small workshops into **factories**, where workers tended machines for fixed hours under
strict discipline. Shifts of 12 to 14 hours, six days a week, were common, and **child labour**
was widespread in mills and mines.

People moved from the countryside to the new industrial towns, a process called
**urbanisation**. Manchester grew from about 25,000 people in 1772 to over 300,000 by 1850.
Housing was built quickly and cheaply; overcrowding, polluted water and a lack of sewers led to
outbreaks of cholera and typhoid. Life expectancy in some industrial districts fell below 30
years.

Reform came slowly. The **Factory Act of 1833** banned the employment of children under nine in
textile mills and limited the hours of older children. Workers formed **trade unions** to bargain
for better pay and conditions, and movements such as **Chartism** demanded the vote for working
men. Public health acts from 1848 brought clean water and sewers.

In the long run, industrialisation raised output and living standards enormously, created a new
industrial working class and a prosperous middle class, and inspired new political ideas,
including socialism.""",
                ),
            ),
            video=Media(
                "Inside a cotton mill",
                "A reconstruction of a working day in an 1830s Lancashire mill.",
                426,
            ),
            resource=Media(
                "Testimony to the Sadler Committee (1832)",
                "Extracts from the evidence of child workers, with questions.",
            ),
            items=(
                Item(
                    "In which country did the Industrial Revolution begin?",
                    "Britain",
                    ("France", "Germany", "The United States"),
                    0,
                ),
                Item(
                    "Whose improved steam engine made power available away from rivers?",
                    "James Watt",
                    ("Richard Arkwright", "James Hargreaves", "George Washington"),
                    0,
                ),
                Item(
                    "Which industry led the early Industrial Revolution?",
                    "Textiles",
                    ("Electronics", "Oil", "Aviation"),
                    0,
                ),
                Item(
                    "The movement of people from the countryside to towns is called:",
                    "Urbanisation",
                    ("Enclosure", "Chartism", "Industrial relations"),
                    1,
                ),
                Item(
                    "What did the Factory Act of 1833 do?",
                    "Banned children under nine from working in textile mills",
                    (
                        "Gave all working men the vote",
                        "Abolished trade unions",
                        "Built the first railway",
                    ),
                    1,
                ),
            ),
        ),
        Module(
            title="Nationalism and unification",
            skills=(
                Skill(
                    "hist.nat.italy",
                    "Italian unification",
                    "Explain the roles of Cavour, Garibaldi and Mazzini.",
                ),
                Skill(
                    "hist.nat.germany",
                    "German unification",
                    "Explain Bismarck's path to German unification.",
                ),
            ),
            pages=(
                Page(
                    "Nationalism and the unification of Italy",
                    """**Nationalism** is the belief that people who share a language, culture
and history form a **nation** and should govern themselves in their own state. After the Congress
of Vienna, nationalism became one of the most powerful forces in Europe.

In 1815 Italy was divided into several states, and Austria controlled Lombardy and Venetia in the
north. Three figures led the **Risorgimento** ("resurgence"), the movement for unification:

- **Giuseppe Mazzini**, the idealist, founded the secret society **Young Italy** and spread the
  dream of a united, democratic Italy.
- **Count Camillo di Cavour**, the prime minister of **Piedmont-Sardinia**, was the practical
  statesman. He modernised Piedmont and won the support of Napoleon III of France, whose help
  drove Austria out of Lombardy in 1859.
- **Giuseppe Garibaldi**, the soldier, led about a thousand volunteers, the **Red Shirts**, to
  conquer Sicily and Naples in 1860, then handed them to the Piedmontese king.

The **Kingdom of Italy** was proclaimed in **1861** under **Victor Emmanuel II**. Venetia was
added in 1866, and Rome in 1870, when French troops protecting the Pope withdrew. Rome became the
capital in 1871.""",
                ),
                Page(
                    "Bismarck and the unification of Germany",
                    """In 1815 the German-speaking lands formed a loose **German Confederation** of
39 states, dominated by Austria and **Prussia**. Prussia's economic strength grew through the
**Zollverein**, a customs union it led from 1834.

Unification was achieved by **Otto von Bismarck**, appointed Prussian minister-president in 1862.
He declared that the great questions of the day would be decided "not by speeches and majority
decisions ... but by **iron and blood**". His policy of **Realpolitik** put practical interests
before ideals, and he used three short wars:

1. With Austria, against **Denmark** (1864), over the duchies of Schleswig and Holstein.
2. Against **Austria** (1866, the Seven Weeks' War), which excluded Austria from German affairs
   and created the Prussian-led North German Confederation.
3. Against **France** (1870-71, the Franco-Prussian War), which Bismarck provoked with the edited
   Ems telegram. The southern German states joined Prussia against a common enemy.

On **18 January 1871**, in the Hall of Mirrors at Versailles, King Wilhelm I of Prussia was
proclaimed **German Emperor (Kaiser)**. France lost Alsace-Lorraine, a grievance that poisoned
relations until the First World War.""",
                ),
            ),
            video=Media(
                "Maps in motion: Italy and Germany",
                "Animated maps of unification from 1815 to 1871.",
                509,
            ),
            resource=Media(
                "Comparing two unifications",
                "A Venn-diagram activity comparing Italy and Germany.",
            ),
            items=(
                Item(
                    "Who led the Red Shirts in the conquest of Sicily and Naples?",
                    "Giuseppe Garibaldi",
                    ("Count Cavour", "Giuseppe Mazzini", "Victor Emmanuel II"),
                    0,
                ),
                Item(
                    "Which state led the unification of Italy?",
                    "Piedmont-Sardinia",
                    ("The Papal States", "Austria", "Naples"),
                    0,
                ),
                Item(
                    "Where was the German Empire proclaimed in 1871?",
                    "The Hall of Mirrors at Versailles",
                    ("Berlin Cathedral", "Vienna", "Frankfurt"),
                    1,
                ),
                Item(
                    "Bismarck's practical, interest-based politics is called:",
                    "Realpolitik",
                    ("Risorgimento", "Zollverein", "Liberalism"),
                    1,
                ),
                Item(
                    "Which war completed the unification of Germany?",
                    "The Franco-Prussian War",
                    ("The Seven Weeks' War", "The Crimean War", "The Danish War"),
                    1,
                ),
            ),
        ),
    ),
)

ENGLISH = ClassSpec(
    key="eng1",
    title="English Language Arts",
    course_code="ELA-10",
    subject="English Language and Literature",
    subject_code="01002",
    grades=("10",),
    school="sch-river",
    location="Room 12",
    period="1",
    modules=(
        Module(
            title="Essay structure",
            skills=(
                Skill(
                    "eng.essay.structure",
                    "Essay structure",
                    "Organise an essay into introduction, body and conclusion.",
                ),
                Skill(
                    "eng.essay.paragraph",
                    "Body paragraphs",
                    "Build paragraphs with topic sentences, evidence and analysis.",
                ),
            ),
            pages=(
                Page(
                    "The shape of an essay",
                    """An **academic essay** presents and supports a single main idea. Most
essays follow a three-part structure.

The **introduction** opens with a **hook** that catches the reader's interest: a striking fact,
a question or a short anecdote. It then gives the context the reader needs, and it ends with the
**thesis statement**, a sentence or two stating the essay's main claim. The thesis is usually the
last sentence of the introduction, so the reader knows exactly what the essay will argue.

The **body** is made of paragraphs, each developing one point that supports the thesis. A
five-paragraph essay has three body paragraphs, but longer essays have as many as the argument
needs. The order matters: many writers put their strongest point last, or arrange points so
that each builds on the one before.

The **conclusion** restates the thesis in fresh words, draws the points together and explains
why the argument matters: its wider significance. A conclusion should not introduce new evidence
or simply repeat the introduction word for word.

**Transitions** ("however", "in addition", "as a result", "by contrast") link sentences and
paragraphs, showing the reader how each idea relates to the next. Without them, even good ideas
read as a list.""",
                ),
                Page(
                    "Building a body paragraph",
                    """A strong body paragraph has a clear internal structure. One widely
taught pattern is **PEEL**:

- **Point**: a **topic sentence** that states the paragraph's main idea and links it to the
  thesis. "Shakespeare presents Macbeth's ambition as a destructive force" tells the reader what
  the paragraph will prove.
- **Evidence**: facts, examples or quotations that support the point.
- **Explanation**: your analysis of how the evidence proves the point. This is the most important
  part, and the part weaker essays skip: evidence does not speak for itself.
- **Link**: a closing sentence that connects the paragraph back to the thesis or leads into the
  next paragraph.

Each paragraph should make **one** point. If you find yourself starting a second idea, it
probably needs a paragraph of its own. A paragraph that is only a quotation followed by "this
shows ambition" is underdeveloped; explain *which* words matter and *why*.

Compare two topic sentences: "In this paragraph I will talk about the witches" announces a topic
but makes no claim, while "The witches exploit Macbeth's ambition rather than create it" is
arguable and gives the paragraph a direction.""",
                ),
            ),
            video=Media(
                "Anatomy of an essay",
                "A model essay is taken apart and labelled section by section.",
                396,
            ),
            resource=Media(
                "Essay planning template",
                "A one-page planner for thesis, three PEEL paragraphs and conclusion.",
            ),
            items=(
                Item(
                    "Where does the thesis statement usually appear?",
                    "At the end of the introduction",
                    (
                        "In the first sentence of the conclusion",
                        "In the middle of the first body paragraph",
                        "In the title only",
                    ),
                    0,
                ),
                Item(
                    "What should a conclusion avoid?",
                    "Introducing new evidence",
                    (
                        "Restating the thesis in new words",
                        "Explaining why the argument matters",
                        "Drawing the points together",
                    ),
                    0,
                ),
                Item(
                    "In the PEEL structure, what does the second E stand for?",
                    "Explanation",
                    ("Example", "Ending", "Essay"),
                    1,
                ),
                Item(
                    "What is the job of a topic sentence?",
                    "To state the paragraph's main idea",
                    (
                        "To quote a source",
                        "To summarise the whole essay",
                        "To list every piece of evidence",
                    ),
                    1,
                ),
                Item(
                    "Which words are transitions?",
                    "However, in addition, as a result",
                    ("Macbeth, Hamlet, Othello", "Hook, thesis, body", "Noun, verb, adjective"),
                    0,
                ),
            ),
        ),
        Module(
            title="Thesis statements and argument",
            skills=(
                Skill(
                    "eng.thesis.write",
                    "Writing a thesis",
                    "Write a specific, arguable thesis statement.",
                ),
                Skill(
                    "eng.thesis.counter",
                    "Counterarguments",
                    "Acknowledge and rebut opposing views.",
                ),
            ),
            pages=(
                Page(
                    "What makes a strong thesis",
                    """A **thesis statement** is the central claim of an essay. A strong thesis
has three qualities.

1. It is **arguable**: a reasonable person could disagree with it. "Social media is popular
   among teenagers" is a fact, not a thesis; nobody would argue against it.
2. It is **specific**: it makes a focused claim that can be supported in the space available.
   "Technology is bad" is too broad; "School phone bans improve concentration because they remove
   the constant temptation of notifications" is focused.
3. It gives a **reason** or a direction, so the reader can see how the essay will develop.

Compare:

- Weak: "The Great Gatsby is about the American Dream."
- Strong: "In *The Great Gatsby*, Fitzgerald suggests that the American Dream has been corrupted
  by materialism, since Gatsby pursues wealth only as a means to reclaim Daisy."

The strong version makes a claim about *how* and *why*, and each part of it can become a body
paragraph.

A thesis can be refined as you write. If your evidence leads somewhere unexpected, revise the
thesis to match what you actually argue; never bend the evidence to fit the thesis.""",
                ),
                Page(
                    "Counterarguments and rebuttals",
                    """Persuasive writing becomes more convincing when it takes the other side
seriously. A **counterargument** is a reasonable objection to your thesis; a **rebuttal** is your
response to it.

Addressing a counterargument shows the reader that you have considered the issue fairly, and it
lets you answer objections before the reader raises them. Ignoring obvious objections makes an
argument look one-sided.

A typical pattern is:

1. **State the objection fairly**: "Some argue that phone bans prevent students from contacting
   their families in an emergency."
2. **Concede what is true**, if anything: "This concern is understandable."
3. **Rebut it**: "However, schools can provide office phones, and a ban during lessons does not
   prevent contact at break times."

Avoid the **straw man** fallacy, which replaces the real objection with a weak version that is
easy to knock down. Other common fallacies to avoid are the **ad hominem** attack (criticising the
person instead of the argument) and the **bandwagon** appeal ("everyone is doing it").

Arguments persuade through **logos** (logic and evidence), **ethos** (the writer's credibility)
and **pathos** (appeal to emotion); the best essays rely mainly on logos.""",
                ),
            ),
            video=Media(
                "From topic to thesis",
                "Three topics turned into arguable, specific thesis statements.",
                322,
            ),
            resource=Media(
                "Thesis statement checklist",
                "A self-check list: arguable, specific, reasoned.",
            ),
            items=(
                Item(
                    "Which is an arguable thesis?",
                    "School phone bans improve concentration by removing notifications",
                    (
                        "Many teenagers own smartphones",
                        "Phones were invented in the nineteenth century",
                        "This essay is about phones",
                    ),
                    0,
                ),
                Item(
                    "Why is 'Technology is bad' a weak thesis?",
                    "It is too broad and gives no reason",
                    (
                        "It is too specific",
                        "It is a quotation",
                        "Nobody could disagree with it",
                    ),
                    0,
                ),
                Item(
                    "A response to an opposing view is called a:",
                    "Rebuttal",
                    ("Hook", "Thesis", "Transition"),
                    1,
                ),
                Item(
                    "Replacing an opponent's real argument with a weaker version is called:",
                    "A straw man",
                    ("An ad hominem", "A rebuttal", "Logos"),
                    1,
                ),
                Item(
                    "Which appeal relies on logic and evidence?",
                    "Logos",
                    ("Pathos", "Ethos", "Bandwagon"),
                    1,
                ),
            ),
        ),
        Module(
            title="Using evidence and quotations",
            skills=(
                Skill(
                    "eng.evidence.integrate",
                    "Integrating quotations",
                    "Embed quotations smoothly in your own sentences.",
                ),
                Skill(
                    "eng.evidence.analyse",
                    "Analysing evidence",
                    "Explain how evidence supports a claim.",
                ),
            ),
            pages=(
                Page(
                    "Integrating quotations",
                    """Quotations are powerful evidence, but only when they are woven into your
own writing. A quotation dropped into an essay without introduction, a **"floating quote"**,
leaves the reader to guess why it is there.

There are three common ways to integrate a quotation:

1. **Introduce it with a full sentence and a colon**: Macbeth realises the cost of his actions:
   "I am in blood / Stepped in so far that, should I wade no more, / Returning were as tedious as
   go o'er."
2. **Use a signal phrase**: As Lady Macbeth urges, Macbeth must "look like th' innocent flower, /
   But be the serpent under 't."
3. **Embed a short phrase in your own sentence**: Macbeth's "vaulting ambition" drives him beyond
   reason.

The embedded method is usually the most fluent, and it forces you to choose only the words that
matter. Keep quotations short; quote the phrase you will analyse, not the whole speech.

Use square brackets to change a word so that the quotation fits your sentence, and an ellipsis
(...) to show that you have left words out, but never change the meaning. Forward slashes mark
line breaks when you quote poetry or verse drama.""",
                ),
                Page(
                    "Analysing evidence",
                    """Evidence does not explain itself. After every quotation or example,
you need **analysis**: an explanation of *how* the evidence supports your point.

Good analysis zooms in on specific words. Consider Macbeth's "vaulting ambition, which
o'erleaps itself". A weak comment says, "This shows he is ambitious", which merely repeats the
quotation. A stronger comment notes that "vaulting" suggests a rider leaping onto a horse, and
"o'erleaps" that the rider jumps too far and falls on the other side: Shakespeare warns that
ambition, pushed too hard, destroys itself.

Useful questions for analysis:

- What does a key word **connote** (suggest) beyond its literal meaning?
- What **technique** is used, such as a metaphor, repetition or contrast, and what is its effect?
- How does this moment connect to the text's larger **themes**?
- How might different readers interpret it?

A common guideline is that your analysis should be at least as long as the quotation, and often
two or three times as long. Choose evidence that is **relevant** and **specific**: one precise
quotation analysed well persuades more than three long ones left unexplained.""",
                ),
            ),
            video=Media(
                "Quote sandwiches",
                "Introduce, quote, analyse: three examples rewritten live.",
                301,
            ),
            resource=Media(
                "Signal phrase bank",
                "Sixty verbs and phrases for introducing quotations.",
            ),
            items=(
                Item(
                    "A quotation placed in an essay without introduction is called:",
                    "A floating quote",
                    ("A signal phrase", "An ellipsis", "A rebuttal"),
                    0,
                ),
                Item(
                    "What does an ellipsis (...) in a quotation show?",
                    "That words have been left out",
                    (
                        "That the quotation is a question",
                        "A line break in poetry",
                        "That the writer disagrees",
                    ),
                    0,
                ),
                Item(
                    "Which punctuation marks line breaks when quoting verse?",
                    "Forward slashes",
                    ("Square brackets", "Semicolons", "Asterisks"),
                    0,
                ),
                Item(
                    "Which comment is the strongest analysis of 'vaulting ambition'?",
                    "'Vaulting' suggests a leap so great it overshoots and falls",
                    (
                        "This shows he is ambitious",
                        "This is a quotation from Macbeth",
                        "Ambition is a long word",
                    ),
                    1,
                ),
                Item(
                    "What a word suggests beyond its literal meaning is its:",
                    "Connotation",
                    ("Definition", "Spelling", "Citation"),
                    1,
                ),
            ),
        ),
        Module(
            title="Literary devices",
            skills=(
                Skill(
                    "eng.devices.figurative",
                    "Figurative language",
                    "Identify similes, metaphors and personification.",
                ),
                Skill(
                    "eng.devices.irony",
                    "Irony and sound devices",
                    "Identify irony, alliteration and onomatopoeia.",
                ),
            ),
            pages=(
                Page(
                    "Figurative language",
                    """**Figurative language** says something other than the literal meaning to
create an effect. Three devices appear constantly in poetry, fiction and speeches.

A **simile** compares two different things using **"like"** or **"as"**: "My love is like a red,
red rose" (Robert Burns); "as brave as a lion". The comparison invites the reader to transfer
qualities from one thing to the other.

A **metaphor** makes the comparison directly, saying one thing **is** another: "All the world's a
stage" (Shakespeare); "the classroom was a zoo". Metaphors are often more forceful than similes
because they do not admit that they are comparisons.

**Personification** gives human qualities to something non-human: "the wind howled", "the
city never sleeps", "Time, the thief of youth". It can make nature seem friendly, threatening or
alive.

An **extended metaphor** develops one comparison over several lines or a whole poem. Emily
Dickinson's "'Hope' is the thing with feathers" builds hope into a bird that perches in the soul
and sings without stopping.

When you write about these devices, naming them is only the start: explain the **effect** of the
comparison and why the writer chose it.""",
                ),
                Page(
                    "Irony and the sound of words",
                    """**Irony** is a gap between what is expected and what actually is. There
are three main kinds.

- **Verbal irony**: saying the opposite of what you mean, as when someone says "Lovely weather!"
  in a downpour. Sarcasm is a bitter form of verbal irony.
- **Situational irony**: an outcome that contradicts expectations, such as a fire station that
  burns down.
- **Dramatic irony**: the audience knows something a character does not. In *Romeo and Juliet*,
  we know that Juliet is only drugged when Romeo believes she is dead, which makes his suicide
  unbearable to watch.

Writers also use the **sound** of words.

- **Alliteration** repeats the first consonant sound in nearby words: "Peter Piper picked a peck".
  It makes phrases memorable and can suggest mood: soft sounds soothe, hard sounds jar.
- **Assonance** repeats vowel sounds: "the rain in Spain".
- **Onomatopoeia** uses words that imitate sounds: "buzz", "crash", "sizzle".

**Imagery** appeals to the senses, and **symbolism** uses an object to stand for an idea, like the
green light in *The Great Gatsby*, which stands for Gatsby's hopes and dreams.""",
                ),
            ),
            video=Media(
                "Spot the device",
                "Song lyrics and adverts analysed for similes, metaphors and irony.",
                355,
            ),
            resource=Media(
                "Literary devices glossary",
                "Definitions and examples of twenty common devices.",
            ),
            items=(
                Item(
                    "'As brave as a lion' is an example of:",
                    "A simile",
                    ("A metaphor", "Personification", "Onomatopoeia"),
                    0,
                ),
                Item(
                    "'All the world's a stage' is an example of:",
                    "A metaphor",
                    ("A simile", "Alliteration", "Dramatic irony"),
                    0,
                ),
                Item(
                    "'The wind howled' is an example of:",
                    "Personification",
                    ("A simile", "Assonance", "Verbal irony"),
                    0,
                ),
                Item(
                    "When the audience knows something a character does not, this is:",
                    "Dramatic irony",
                    ("Situational irony", "Verbal irony", "Symbolism"),
                    1,
                ),
                Item(
                    "'Peter Piper picked a peck' is an example of:",
                    "Alliteration",
                    ("Onomatopoeia", "Assonance", "A metaphor"),
                    1,
                ),
            ),
        ),
        Module(
            title="Sentences and punctuation",
            skills=(
                Skill(
                    "eng.grammar.sentences",
                    "Sentence types",
                    "Recognise simple, compound and complex sentences.",
                ),
                Skill(
                    "eng.grammar.errors",
                    "Sentence errors",
                    "Fix comma splices, run-ons and fragments.",
                ),
            ),
            pages=(
                Page(
                    "Simple, compound and complex sentences",
                    """A **clause** is a group of words with a subject and a verb. An
**independent clause** can stand alone as a sentence ("The bell rang"); a **dependent clause**
cannot ("when the bell rang").

- A **simple sentence** has one independent clause: "The students left."
- A **compound sentence** joins two independent clauses, either with a comma and a **coordinating
  conjunction** or with a semicolon: "The bell rang, and the students left." "The bell rang; the
  students left." The seven coordinating conjunctions spell **FANBOYS**: for, and, nor, but, or,
  yet, so.
- A **complex sentence** has an independent clause and at least one dependent clause, introduced
  by a **subordinating conjunction** such as because, although, when, if or since: "When the bell
  rang, the students left." Note the comma after an introductory dependent clause.

Varying sentence types keeps writing lively. A run of simple sentences sounds choppy, while a
string of long complex sentences tires the reader. A short sentence after several long ones can
land with real force. Good writers choose the structure that shows the relationship between
ideas: "although" signals contrast, "because" cause, "when" time.""",
                ),
                Page(
                    "Comma splices, run-ons and fragments",
                    """Three sentence errors cause most problems in student writing.

A **comma splice** joins two independent clauses with only a comma: "The test was hard, I
studied all week." A comma alone is not strong enough to join two sentences. Fix it in one of
four ways:

1. Use a full stop: "The test was hard. I studied all week."
2. Use a semicolon: "The test was hard; I studied all week."
3. Add a coordinating conjunction: "The test was hard, but I studied all week."
4. Make one clause dependent: "Although the test was hard, I had studied all week."

A **run-on** (fused) sentence joins independent clauses with no punctuation at all: "The test
was hard I studied all week." The same four fixes apply.

A **fragment** is an incomplete sentence, usually a dependent clause or a phrase standing alone:
"Because I studied all week." It lacks an independent clause. Attach it to one: "I passed because
I studied all week."

Reading your work aloud helps you hear these errors: a place where you pause for a full stop but
wrote only a comma is often a comma splice.""",
                ),
            ),
            video=Media(
                "Fixing comma splices",
                "Four ways to repair a comma splice, with examples.",
                287,
            ),
            resource=Media(
                "Sentence combining exercises",
                "Thirty pairs of short sentences to combine in different ways.",
            ),
            items=(
                Item(
                    "'The bell rang, and the students left.' is a:",
                    "Compound sentence",
                    ("Simple sentence", "Complex sentence", "Fragment"),
                    0,
                ),
                Item(
                    "Which is a subordinating conjunction?",
                    "Although",
                    ("And", "But", "So"),
                    0,
                ),
                Item(
                    "'The test was hard, I studied all week.' contains:",
                    "A comma splice",
                    ("A fragment", "No error", "A dangling modifier"),
                    1,
                ),
                Item(
                    "Which correctly fixes a comma splice?",
                    "The test was hard; I studied all week.",
                    (
                        "The test was hard, I studied, all week.",
                        "The test was hard I studied all week.",
                        "Because the test was hard.",
                    ),
                    1,
                ),
                Item(
                    "'Because I studied all week.' is:",
                    "A fragment",
                    ("A compound sentence", "A comma splice", "A complete simple sentence"),
                    1,
                ),
            ),
        ),
        Module(
            title="Revising, editing and citing",
            skills=(
                Skill(
                    "eng.revise.process",
                    "Revision",
                    "Distinguish revising from editing and proofreading.",
                ),
                Skill(
                    "eng.revise.cite",
                    "Citing sources",
                    "Cite sources in MLA style and avoid plagiarism.",
                ),
            ),
            pages=(
                Page(
                    "Revising and editing",
                    """Writing is a process: **planning**, **drafting**, **revising**,
**editing** and **publishing**. Few good essays arrive in one draft.

**Revising** means rethinking the content and organisation: the big picture. Ask whether the
thesis is clear and arguable, whether every paragraph supports it, whether the order is logical,
whether the evidence is strong enough and whether anything should be cut or added. Revising may
mean rewriting whole paragraphs.

**Editing** works at the sentence level: clarity, word choice, sentence variety, grammar and
punctuation. Replace vague words ("things", "stuff", "very good") with precise ones, cut
repetition, and fix comma splices and fragments.

**Proofreading** is the final check for typing mistakes and spelling. It is best done slowly, on
paper or aloud, after a break, because we tend to read what we meant rather than what we wrote.

A useful strategy is to **reverse outline** your draft: write one sentence summarising each
paragraph, then read the list. If the summaries do not form a logical argument, the essay's
structure needs revising. Feedback from a peer or teacher is valuable at the revising stage,
when there is still time to make large changes.""",
                ),
                Page(
                    "Citing sources and avoiding plagiarism",
                    """**Plagiarism** is presenting someone else's words or ideas as your own.
It includes copying text without quotation marks, paraphrasing without credit, and submitting
work written by someone else. Schools treat it seriously, and it is easy to avoid by **citing**
every source you use.

In **MLA style**, widely used in English classes, a citation has two parts.

1. An **in-text citation** in parentheses, usually the author's last name and the page number,
   with no comma between them: (Orwell 42). If you name the author in your sentence, give only the
   page: Orwell argues that clear language is a political necessity (42).
2. An entry in the **Works Cited** list at the end, in alphabetical order by author's last name:
   Orwell, George. *Nineteen Eighty-Four*. Secker and Warburg, 1949.

You must cite **quotations**, **paraphrases** (someone's idea in your own words), statistics and
any information that is not common knowledge. Facts that are widely known and easy to check,
such as the year the Second World War ended, need no citation.

A good paraphrase changes both the words and the sentence structure, not just a few synonyms,
and it still needs a citation.""",
                ),
            ),
            video=Media(
                "MLA in five minutes",
                "In-text citations and a Works Cited page built from scratch.",
                298,
            ),
            resource=Media(
                "Revision checklist",
                "A checklist for revising, editing and proofreading a draft.",
            ),
            items=(
                Item(
                    "Which stage focuses on content and organisation?",
                    "Revising",
                    ("Proofreading", "Editing", "Publishing"),
                    0,
                ),
                Item(
                    "What is a reverse outline?",
                    "A one-sentence summary of each paragraph of a draft",
                    (
                        "An outline written after publishing",
                        "A list of sources in reverse order",
                        "An outline of the counterargument",
                    ),
                    0,
                ),
                Item(
                    "Which is a correct MLA in-text citation?",
                    "(Orwell 42)",
                    ("(Orwell, 42)", "(42, Orwell)", "[Orwell: page 42]"),
                    1,
                ),
                Item(
                    "Which needs a citation?",
                    "A paraphrase of another writer's idea",
                    (
                        "The year the Second World War ended",
                        "Your own opinion",
                        "A fact you observed yourself",
                    ),
                    1,
                ),
                Item(
                    "How is the Works Cited list ordered?",
                    "Alphabetically by author's last name",
                    (
                        "By date of publication",
                        "In the order sources appear in the essay",
                        "By page number",
                    ),
                    1,
                ),
            ),
        ),
    ),
)
