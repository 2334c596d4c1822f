{-# LANGUAGE OverloadedStrings #-}

-- | Exporting Haskell functions under the ABI (uncurrying): any @a -> b -> ... -> IO r@, or pure
-- @a -> b -> ... -> r@, whose arguments are 'FromMsgpack' and whose result is 'ToMsgpack',
-- becomes the one C signature @void NAME(const virgil_box *in, virgil_box *out)@:
--
-- > foreign export ccall add :: VirgilFunction
-- > add :: VirgilFunction
-- > add = export "add" addImpl
--
-- The exported function lifts the argument array (a @virgil.ArgumentError@ naming the function
-- and the argument when it cannot), runs the function, encodes the result inside the same
-- exception handler (so lazy @error@ calls and 'ArithException's hidden in the result are caught,
-- because encoding forces every part of the value that crosses), and writes the envelope by the
-- scratch-buffer protocol. No Haskell exception ever leaves it.
--
-- Layer: entry points. This module makes the C functions (@export@, @exportFunction@,
-- @manifest@) of the functions that "Virgil.Call" uncurries, and the manifest
-- ("Virgil.Manifest") of a library of them.
module Virgil.Export
  ( -- * The ABI function
    VirgilBox
  , VirgilFunction
    -- * Exporting
  , Exportable (..)
  , Function
  , functionName
  , functionInfo
  , function
  , withParams
  , withDoc
  , export
  , exportFunction
  , manifest
  , manifestOf
    -- * Calling in-process (tests)
  , respond
  ) where

import Data.List (sortOn)
import Data.Text (Text)
import qualified Data.Text as T
import GHC.Stack (HasCallStack)
import Virgil.Box
import Virgil.Call
import Virgil.Exception
import Virgil.Manifest
import Virgil.Msgpack

-- | What the manifest says about a function.
functionInfo :: Function -> FunctionInfo
functionInfo fn =
  FunctionInfo (functionName fn) (zipWith Param (fnParamNames fn) (fnParamTypes fn)) (fnResult fn) (fnDoc fn)

-- | @add = export "add" addImpl@: the name is the one error messages use.
export :: (HasCallStack, Exportable f) => Text -> f -> VirgilFunction
export name f = exportFunction (function name f)
{-# INLINABLE export #-}

-- | Exports a described function.
exportFunction :: Function -> VirgilFunction
exportFunction fn inBox outBox = do
  enterCall
  answer (fnSite fn) outBox (readBox (functionName fn) inBox >>= call fn)
  leaveCall

-- | @virgil_manifest@: replies @{"ok": manifest}@ whatever its input, with the functions sorted
-- by name.
--
-- > foreign export ccall virgil_manifest :: VirgilFunction
-- > virgil_manifest :: VirgilFunction
-- > virgil_manifest = manifest "conformance" "1.0.0" [addF, greetF]
manifest :: Text -> Text -> [Function] -> VirgilFunction
manifest library version fns _ outBox = do
  enterCall
  answer (Frame "virgil_manifest" T.empty 0 0) outBox (pure (encodeMsgpack (manifestOf library version fns)))
  leaveCall

-- | The manifest value of a library of functions.
manifestOf :: Text -> Text -> [Function] -> Manifest
manifestOf library version fns =
  Manifest abiVersion library language version (map functionInfo (sortOn functionName fns))
