using BenchmarkDotNet.Running;

namespace MlNetRnn.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/MlNetRnn.Benchmarks -- --filter '*'</c> (BenchmarkDotNet's switcher).</summary>
public static class Program
{
    /// <summary>Runs the suites chosen on the command line.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
