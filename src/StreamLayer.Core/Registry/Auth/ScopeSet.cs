using System;
using System.Collections.Generic;
using System.Linq;

namespace StreamLayer.Registry.Auth
{
    /// <summary>Token scopes in the order first asked for, with the actions on one resource merged: repository:a:push,pull.</summary>
    internal sealed class ScopeSet
    {
        private readonly List<KeyValuePair<string, List<string>>> _resources = new List<KeyValuePair<string, List<string>>>();
        private string _text = string.Empty;

        /// <summary>Adds a scope (resource:name:actions); true when that widened the set.</summary>
        public bool Add(string scope)
        {
            int colon = scope.LastIndexOf(':');
            string resource = colon > 0 && scope.IndexOf(':') < colon ? scope.Substring(0, colon) : scope;
            string[] actions = colon > 0 && scope.IndexOf(':') < colon
                ? scope.Substring(colon + 1).Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries)
                : Array.Empty<string>();
            int index = _resources.FindIndex(r => r.Key == resource);
            if (index < 0)
            {
                _resources.Add(new KeyValuePair<string, List<string>>(resource, actions.Distinct().ToList()));
                Update();
                return true;
            }

            List<string> known = _resources[index].Value;
            bool added = false;
            foreach (string action in actions)
            {
                if (!known.Contains(action))
                {
                    known.Add(action);
                    added = true;
                }
            }

            if (added)
            {
                Update();
            }

            return added;
        }

        /// <summary>Sets exactly which actions a resource gets; a resource new to the set comes first.</summary>
        public void Set(string resource, string[] actions)
        {
            int index = _resources.FindIndex(r => r.Key == resource);
            var list = actions.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct().ToList();
            if (index < 0)
            {
                _resources.Insert(0, new KeyValuePair<string, List<string>>(resource, list));
            }
            else
            {
                _resources[index] = new KeyValuePair<string, List<string>>(resource, list);
            }

            Update();
        }

        /// <summary>The scopes separated by spaces, as a token request's scope parameter lists them.</summary>
        public override string ToString() => _text;

        private void Update() =>
            _text = string.Join(" ", _resources.Select(r => r.Value.Count == 0 ? r.Key : r.Key + ":" + string.Join(",", r.Value)));
    }
}
