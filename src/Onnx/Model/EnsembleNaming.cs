namespace MlNetRnn.Onnx.Model;

/// <summary>
/// How an ensemble's member weights are named in one weight set and in the ONNX graph: a single network keeps its parameter names
/// (<c>rnn.weight_ih_l0</c>), member <c>k</c> of an ensemble prefixes them with <c>member{k}.</c>.
/// </summary>
public static class EnsembleNaming
{
    /// <summary>The prefix of member <paramref name="member"/> among <paramref name="members"/>: empty for a single network.</summary>
    public static string MemberPrefix(int members, int member) => members == 1 ? string.Empty : $"member{member}.";
}
