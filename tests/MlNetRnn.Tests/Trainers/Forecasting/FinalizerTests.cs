using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>
/// Forces garbage collections, so it runs alone: TorchSharp 0.107 lets some temporary Scalar objects be collected while a
/// native call still uses them, and forced collections during other tests' training can make those fail.
/// </summary>
[Collection(FinalizerCollection.Name)]
public sealed class FinalizerTests
{
    [Fact]
    public void AnUndisposedModelsTemporaryFileIsDeletedByTheFinalizer()
    {
        if (OperatingSystem.IsWindows())
            return; // Windows refuses to delete a file ML.NET's session still holds open; the finalizer is best effort there.

        string file = FitAndForget();

        for (int i = 0; i < 5 && File.Exists(file); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(File.Exists(file));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string FitAndForget()
    {
        var ml = new MLContext(1);
        var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers()));
        string file = model.ModelFilePath!;
        Assert.True(File.Exists(file));
        return file;
    }

}

/// <summary>Runs after (not alongside) the parallel test collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FinalizerCollection
{
    public const string Name = "Finalizer";
}
