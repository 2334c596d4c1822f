-- | The Virgil guest kit for Haskell: export Haskell functions under the Virgil C ABI
-- (cabi/ABI.md), so that any Virgil host (Go, Python, C, ...) can call them.
--
-- > {-# LANGUAGE OverloadedStrings #-}
-- > module Greeter where
-- >
-- > import Data.Text (Text)
-- > import Virgil
-- >
-- > greetImpl :: Text -> IO Text
-- > greetImpl name = pure ("Hello, " <> name <> "!")
-- >
-- > foreign export ccall greet :: VirgilFunction
-- > greet :: VirgilFunction
-- > greet = export "greet" greetImpl
-- >
-- > foreign export ccall virgil_manifest :: VirgilFunction
-- > virgil_manifest :: VirgilFunction
-- > virgil_manifest = manifest "greeter" "1.0.0" [function "greet" greetImpl]
--
-- Build it with the kit's C files (@cbits/virgil_alloc.c@ for @virgil_realloc@ and
-- @virgil_stats@, @cbits/virgil_rts.c@ to start the runtime on load); see the kit's README.
module Virgil
  ( module Virgil.Msgpack
  , module Virgil.Exception
  , module Virgil.Manifest
  , module Virgil.Export
  ) where

import Virgil.Exception
import Virgil.Export
import Virgil.Manifest
import Virgil.Msgpack
