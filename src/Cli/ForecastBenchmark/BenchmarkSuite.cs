using System.Globalization;

namespace MlNetRnn.Cli.ForecastBenchmark;

/// <summary>One series of a benchmark: its values, season and hold-out length.</summary>
/// <param name="Name">The name in <c>spec.csv</c> (and its file, <c>NAME.csv</c>).</param>
/// <param name="Values">The whole series, oldest first.</param>
/// <param name="Season">Season length (1 for none).</param>
/// <param name="Horizon">Points held out and forecast at once.</param>
internal sealed record BenchmarkSeries(string Name, float[] Values, int Season, int Horizon)
{
    /// <summary>Everything before the hold-out.</summary>
    public float[] Training => Values[..^Horizon];

    /// <summary>The hold-out.</summary>
    public float[] Actual => Values[^Horizon..];
}

/// <summary>A published score of a classical method on one series (a row of <c>r-baselines.csv</c>).</summary>
internal sealed record BaselineScore(string Series, string Method, double? Mape, double? Rmse, double? Mase, double? Smape);

/// <summary>
/// A forecasting benchmark: a folder with <c>spec.csv</c> (<c>name,season,horizon</c>), one <c>NAME.csv</c> per series with a
/// <c>value</c> column, and optionally <c>r-baselines.csv</c> (<c>series,method,mape,rmse,mase,smape</c>). The default is the
/// embedded 14-series set with R's classical methods' scores (data/timeseries/benchmark/README.md).
/// </summary>
internal sealed record BenchmarkSuite(string Source, IReadOnlyList<BenchmarkSeries> Series, IReadOnlyList<BaselineScore> Baselines)
{
    private static readonly string[] EmbeddedNames =
    {
        "nottem", "UKgas", "JohnsonJohnson", "austres", "WWWusage", "BJsales", "LakeHuron", "discoveries", "nhtemp", "gas", "wineind",
        "woolyrnq", "treering", "AirPassengers",
    };

    /// <summary>The embedded 14 series and R's scores on them.</summary>
    public static BenchmarkSuite Embedded() =>
        Read("embedded benchmark", file => Resource(file), file => file == "r-baselines.csv" || file == "spec.csv" || EmbeddedNames.Contains(file[..^4]));

    /// <summary>Reads a benchmark folder.</summary>
    /// <exception cref="FileNotFoundException">The folder has no spec.csv, or a series it names has no file (both named).</exception>
    public static BenchmarkSuite Load(string folder)
    {
        if (File.Exists(folder))
            throw new IOException($"Benchmark folder '{folder}' (--data) is a file; give the folder that holds spec.csv and one NAME.csv per series.");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Benchmark folder '{folder}' (--data) does not exist.");
        return Read($"folder '{folder}'", file => InputFile.ReadUtf8Text(Path.Combine(folder, file), "Benchmark file", "--data"),
            file => File.Exists(Path.Combine(folder, file)));
    }

    /// <summary>
    /// The validation benchmark: every series without its hold-out, so the last <c>horizon</c> values before it become the scored part.
    /// Settings are chosen on this, never on the reported hold-out; the published baselines (scored on the hold-out) do not apply.
    /// </summary>
    public BenchmarkSuite ValidationOrigin() => this with
    {
        Source = Source + ", validation origin (hold-out dropped)",
        Series = Series.Select(s => s with { Values = s.Training }).ToArray(),
        Baselines = Array.Empty<BaselineScore>(),
    };

    /// <summary>Keeps only the named series (all when <paramref name="names"/> is empty).</summary>
    /// <exception cref="ArgumentException">A name is not in the spec.</exception>
    public BenchmarkSuite Only(IReadOnlyCollection<string> names)
    {
        if (names.Count == 0)
            return this;
        var unknown = names.Where(n => Series.All(s => !string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"--series names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, not in the benchmark's spec.csv ({string.Join(", ", Series.Select(s => s.Name))}).");
        return this with { Series = Series.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToArray() };
    }

    private static BenchmarkSuite Read(string source, Func<string, string> read, Func<string, bool> exists)
    {
        if (!exists("spec.csv"))
            throw new FileNotFoundException($"The benchmark {source} has no spec.csv (columns name,season,horizon).");
        var spec = CsvRecords.Read(read("spec.csv"), $"{source}: spec.csv", out _);
        var header = spec.Count > 0 ? spec[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList() : new List<string>();
        int name = header.IndexOf("name"), season = header.IndexOf("season"), horizon = header.IndexOf("horizon");
        if (name < 0 || season < 0 || horizon < 0)
            throw new FormatException($"{source}: spec.csv must have the columns name, season and horizon; its header is '{string.Join(",", header)}'.");
        var series = new List<BenchmarkSeries>();
        foreach (var (line, fields) in spec.Skip(1))
        {
            if (fields.Count <= Math.Max(name, Math.Max(season, horizon)))
                throw new FormatException($"{source}: spec.csv, line {line}: expected name, season and horizon.");
            string n = fields[name].Trim();
            int s = Whole(fields[season], "season", line, source), h = Whole(fields[horizon], "horizon", line, source);
            string file = n + ".csv";
            if (!exists(file))
                throw new FileNotFoundException($"{source}: spec.csv, line {line} names the series '{n}', but there is no {file} beside it.");
            var values = SeriesCsv.Parse(read(file), $"{source}: {file}", "value").Values;
            if (values.Length <= h + s)
                throw new FormatException($"{source}: {file} has {values.Length} values; holding out {h} leaves too few to fit with season {s}.");
            series.Add(new BenchmarkSeries(n, values, s, h));
        }
        var baselines = exists("r-baselines.csv") ? ReadBaselines(read("r-baselines.csv"), source) : Array.Empty<BaselineScore>();
        return new BenchmarkSuite(source, series, baselines);
    }

    private static BaselineScore[] ReadBaselines(string text, string source)
    {
        var records = CsvRecords.Read(text, $"{source}: r-baselines.csv", out _);
        var header = records[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        int Column(string c) => header.IndexOf(c) is >= 0 and var i ? i
            : throw new FormatException($"{source}: r-baselines.csv has no column '{c}' (expected series,method,mape,rmse,mase,smape).");
        int series = Column("series"), method = Column("method"), mape = Column("mape"), rmse = Column("rmse"), mase = Column("mase"), smape = Column("smape");
        static double? Number(string text) =>
            double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
        return records.Skip(1).Where(r => r.Fields.Count > smape)
            .Select(r => new BaselineScore(r.Fields[series].Trim(), r.Fields[method].Trim(), Number(r.Fields[mape]), Number(r.Fields[rmse]),
                Number(r.Fields[mase]), Number(r.Fields[smape])))
            .ToArray();
    }

    private static int Whole(string text, string column, int line, string source) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1
            ? v
            : throw new FormatException($"{source}: spec.csv, line {line}: {column} '{text.Trim()}' is not a whole number >= 1.");

    private static string Resource(string file)
    {
        using var stream = typeof(BenchmarkSuite).Assembly.GetManifestResourceStream("MlNetRnn.Cli.Data.benchmark." + file)
                           ?? throw new InvalidOperationException($"The embedded benchmark file {file} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
