using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class TokenDropoutTests
{
    [Fact]
    public void ReplacesAboutTheRateOfOrdinaryIdsAndNeverASpecialOne()
    {
        lock (TorchGate.Lock)
        {
            torch.manual_seed(5);
            // 0, 1, 2 are special (padding, unknown, begin); 3..9 are words.
            var ids = Enumerable.Range(0, 20_000).Select(i => (long)(i % 10)).ToArray();
            using var input = torch.tensor(ids, new long[] { 200, 100 });
            using var dropped = new TokenDropout(0.25, ReplacementId: 1, FirstDroppableId: 3).Apply(input);
            var output = dropped.data<long>().ToArray();

            int words = 0, replaced = 0;
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 3)
                {
                    Assert.Equal(ids[i], output[i]);
                    continue;
                }
                words++;
                if (output[i] != ids[i])
                {
                    Assert.Equal(1, output[i]);
                    replaced++;
                }
            }
            // 14,000 words at rate 0.25: 3,500 expected, sd about 51.
            Assert.InRange(replaced, 3_300, 3_700);
            Assert.Equal(14_000, words);

            using var none = new TokenDropout(0, 1, 3).Apply(input);
            Assert.Equal(ids, none.data<long>().ToArray());
        }
    }
}
