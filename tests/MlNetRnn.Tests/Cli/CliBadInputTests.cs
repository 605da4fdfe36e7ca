using System.Text;
using Spectre.Console;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>
/// Inputs the CLI used to accept silently or report misleadingly: each now fails at once with the file, the place and what to do.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlnetrnn-badin").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task AnEmptyCorpusIsReportedAsEmptyNotBlamedOnThePrime()
    {
        string corpus = Write("empty.txt", Array.Empty<byte>());

        var (exit, console) = await Run("generate", "--corpus", corpus, "--output", Path.Combine(_dir, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"Corpus file '{corpus}' (--corpus) is empty", console);
        Assert.DoesNotContain("--prime", console);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Theory]
    [InlineData("generate", "--corpus")]
    [InlineData("classify", "--data")]
    [InlineData("forecast", "--data")]
    public async Task ABinaryFileIsRefusedWithTheByteOffsetAndLine(string command, string option)
    {
        string file = Write("data.bin", Encoding.UTF8.GetBytes("text,label\nfine,1\nbad\0,0\n"));

        var (exit, console) = await Run(command, option, file, "--output", Path.Combine(_dir, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"'{file}' ({option}) looks like a binary file, not text: byte offset 21 (line 3) holds the control byte 0x00.", console);
        Assert.Contains("Give a UTF-8 text file", console);
    }

    [Theory]
    [InlineData("generate", "--corpus")]
    [InlineData("classify", "--data")]
    [InlineData("forecast", "--data")]
    public async Task AFileThatIsNotUtf8IsRefusedWithTheByteOffsetLineAndHowToConvertIt(string command, string option)
    {
        // "café" in Windows-1252: é is the single byte 0xE9, which UTF-8 never has alone.
        string file = Write("latin1.csv", Encoding.Latin1.GetBytes("text,label\ncafé,1\n"));

        var (exit, console) = await Run(command, option, file, "--output", Path.Combine(_dir, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"'{file}' ({option}) is not valid UTF-8: byte offset 14 (line 2) holds 0xE9", console);
        Assert.Contains("Convert it to UTF-8", console);
    }

    [Fact]
    public void Utf16TextAndControlCharactersAreRefusedButUtf8WithAByteOrderMarkTabsAndFormFeedsAreRead()
    {
        var utf16 = Assert.Throws<InvalidDataException>(() => InputFile.DecodeUtf8(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("hi")).ToArray(), "f"));
        Assert.Contains("UTF-16 or UTF-32", utf16.Message);
        var escape = Assert.Throws<InvalidDataException>(() => InputFile.DecodeUtf8("ok\nok\n\u001b[31m"u8.ToArray(), "f"));
        Assert.Contains("byte offset 6 (line 3) holds the control byte 0x1B", escape.Message);
        var delete = Assert.Throws<InvalidDataException>(() => InputFile.DecodeUtf8("a\u007f"u8.ToArray(), "f"));
        Assert.Contains("0x7F", delete.Message);
        var truncated = Assert.Throws<InvalidDataException>(() => InputFile.DecodeUtf8("ab\u00e9"u8.ToArray()[..3], "f"));
        Assert.Contains("byte offset 2 (line 1) holds 0xC3", truncated.Message);

        Assert.Equal("é\tß\r\n\fend", InputFile.DecodeUtf8(Encoding.UTF8.GetPreamble().Concat("é\tß\r\n\fend"u8.ToArray()).ToArray(), "f"));
    }

    [Theory]
    [InlineData("generate", "--corpus", "Corpus file")]
    [InlineData("generate", "--model", "Model file")]
    [InlineData("classify", "--data", "Data file")]
    [InlineData("forecast", "--data", "Data file")]
    public async Task AFolderGivenForAFileIsCalledAFolder(string command, string option, string what)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;

        var (exit, console) = await Run(command, option, folder, "--output", Path.Combine(_dir, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"{what} '{folder}' ({option}) is a folder; a file is expected.", console);
        Assert.DoesNotContain("does not exist", console);
    }

    [Fact]
    public async Task AClassifyFileWhoseTextsAreAllEmptyNamesTheFileAndColumn()
    {
        string file = Write("empty-texts.csv", Encoding.UTF8.GetBytes("subject,label\n\"\",yes\n  ,no\n\"\",no\n"));

        var (exit, console) = await Run("classify", "--data", file, "--text-column", "subject", "--epochs", "1", "--output", Path.Combine(_dir, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"{file}: every text in column 'subject' is empty (3 rows).", console);
        Assert.Contains("--text-column", console);
        Assert.DoesNotContain("Schema mismatch", console);
    }

    [Fact]
    public void SemicolonSeparatedFilesAreDetectedAndRead()
    {
        var series = SeriesCsv.Parse("year;month;passengers\n1949;1;112\n1949;2;118.5\n", "s.csv", "passengers");
        Assert.Equal(new[] { 112f, 118.5f }, series.Values);
        Assert.Equal(new[] { "1949-01", "1949-02" }, series.Labels);

        var texts = LabelledTexts.Parse("text;label\n\"good; really\";1\nbad;0\n", "t.csv", "text", "label");
        Assert.Equal(new[] { "good; really", "bad" }, texts.Texts);
        Assert.Equal(new[] { "1", "0" }, texts.Labels);
    }

    [Fact]
    public void ADecimalCommaInASemicolonFileIsNamedWithTheFix()
    {
        var ex = Assert.Throws<FormatException>(() => SeriesCsv.Parse("month;value\n1;10,5\n", "s.csv", "value"));

        Assert.Contains("s.csv, line 2: column 'value' holds '10,5'", ex.Message);
        Assert.Contains("decimal comma; write decimals with a point", ex.Message);
    }

    [Fact]
    public void AMissingColumnMessageSaysWhichSeparatorWasUsed()
    {
        var ex = Assert.Throws<FormatException>(() => SeriesCsv.Parse("month|value\n1|10\n", "s.csv", "value"));

        Assert.Contains("no column 'value' in the header (month|value; fields separated by comma (,))", ex.Message);
    }

    [Fact]
    public void QuotedForecastFieldsMayHoldCommasQuotesAndLineBreaks()
    {
        string csv = "date,\"note, free text\",value\r\n\"Jan, 1949\",\"said \"\"hi\"\", then left\",112\r\n\"Feb, 1949\",\"two\nlines\",\"118\"\r\n3,x,120\r\n";

        var series = SeriesCsv.Parse(csv, "q.csv", "value");

        Assert.Equal(new[] { 112f, 118f, 120f }, series.Values);
        var bad = Assert.Throws<FormatException>(() => SeriesCsv.Parse(csv + "\"Apr, 1949\",x,oops\n", "q.csv", "value"));
        Assert.Contains("q.csv, line 6: column 'value' holds 'oops'", bad.Message); // line numbers count the line break inside the quotes
        var quotedHeader = SeriesCsv.Parse("\"a,b\",value\n1,5\n", "h.csv", "value");
        Assert.Equal(new[] { 5f }, quotedHeader.Values);
    }

    [Fact]
    public void AnUnclosedQuoteNamesTheLineWhereItStarts()
    {
        var ex = Assert.Throws<FormatException>(() => LabelledTexts.Parse("text,label\nfine,1\n\"never closed,0\nmore,1\n", "t.csv", "text", "label"));

        Assert.Contains("t.csv, line 3: a quoted field starts here but its closing double quote is missing", ex.Message);
    }

    [Fact]
    public void TabSeparatedFilesKeepTheirQuotesAsText()
    {
        var texts = LabelledTexts.Parse("text\tlabel\n\"Quoted\" start, and a comma\t1\nplain\t0\n", "t.tsv", "text", "label");

        Assert.Equal(new[] { "\"Quoted\" start, and a comma", "plain" }, texts.Texts);
    }

    [Fact]
    public async Task AForecastCsvWithQuotedCommasTrainsEndToEnd()
    {
        var lines = new List<string> { "\"month, name\",\"passengers, thousands\"" };
        var values = TestData.AirPassengers();
        lines.AddRange(values.Select((v, i) => $"\"m{i}, 19{49 + i / 12}\",\"{v.ToString(System.Globalization.CultureInfo.InvariantCulture)}\""));
        string file = Write("quoted.csv", Encoding.UTF8.GetBytes(string.Join("\n", lines)));

        var (exit, console) = await Run("forecast", "--data", file, "--column", "passengers, thousands", "--epochs", "1", "--hidden", "4", "--no-refit",
            "--output", Path.Combine(_dir, "out"));

        Assert.True(exit == 0, console);
        Assert.Contains($"{values.Length} points", console);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs the CLI with its console captured wide enough that no message is wrapped.</summary>
    internal static async Task<(int Exit, string Console)> Run(params string[] args)
    {
        var previous = AnsiConsole.Console;
        var captured = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(captured) });
        console.Profile.Width = 2000;
        AnsiConsole.Console = console;
        try
        {
            int exit = await Program.Main(args);
            return (exit, captured.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }
}
