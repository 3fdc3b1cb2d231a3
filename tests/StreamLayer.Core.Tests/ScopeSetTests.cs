using StreamLayer.Registry.Auth;
using Xunit;

namespace StreamLayer.Tests
{
    public class ScopeSetTests
    {
        [Fact]
        public void MergesTheActionsOfOneResourceAndSaysWhenItWidened()
        {
            var scopes = new ScopeSet();

            Assert.True(scopes.Add("repository:team/app:push"));
            Assert.True(scopes.Add("repository:team/app:pull,push"));
            Assert.False(scopes.Add("repository:team/app:push"));
            Assert.True(scopes.Add("repository:team/base:pull"));
            Assert.False(scopes.Add("repository:team/base:pull"));

            Assert.Equal("repository:team/app:push,pull repository:team/base:pull", scopes.ToString());
        }

        [Fact]
        public void SetPutsANewResourceFirstAndReplacesTheActionsOfAKnownOne()
        {
            var scopes = new ScopeSet();
            scopes.Add("repository:team/base:pull");

            scopes.Set("repository:team/app", new[] { "push", " pull ", "", "push" });
            Assert.Equal("repository:team/app:push,pull repository:team/base:pull", scopes.ToString());

            scopes.Set("repository:team/app", new[] { "pull" });
            Assert.Equal("repository:team/app:pull repository:team/base:pull", scopes.ToString());
        }

        [Fact]
        public void KeepsAScopeWithoutActionsAsItIs()
        {
            var scopes = new ScopeSet();

            Assert.True(scopes.Add("repository:team/app"));
            Assert.False(scopes.Add("repository:team/app"));
            Assert.True(scopes.Add("registry:catalog:*"));

            Assert.Equal("repository:team/app registry:catalog:*", scopes.ToString());
        }
    }
}
