using Xunit;

namespace MlNetRnn.Tests.Trainers.Runtime;

/// <summary>
/// The oneDNN ISA cap. Its effect is checked by GateEquationTests and the parity grid, which fail on AVX-512 CPUs without it
/// (libtorch's oneDNN LSTM was 1% off the LSTM equations there); this checks that the native environment holds it.
/// </summary>
public sealed class OneDnnIsaCapTests
{
    [Fact]
    public void NativeCodeSeesTheCapUnlessTheUserChoseAnIsa()
    {
        // .NET's copy of the environment is the process's start-up environment: what the user set.
        string? user = Environment.GetEnvironmentVariable(OneDnnIsaCap.IsaVariable);
        string? legacy = Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA");
        bool off = Environment.GetEnvironmentVariable(OneDnnIsaCap.SwitchVariable) == "0";
        OneDnnIsaCap.Apply(); // the module initializer already ran; running it again changes nothing
        string? native = OneDnnIsaCap.NativeValue(OneDnnIsaCap.IsaVariable);
        if (user is not null)
            Assert.Equal(user, native);
        else if (legacy is not null || off)
            Assert.Null(native);
        else
            Assert.Equal(OneDnnIsaCap.Cap, native);
    }
}
